// The exit codes of `portico render` and `portico run` (README's tables), and the error that carries one.
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;
export const EXIT_REJECTED = 3;

/** Ends the command with `code`, printing `message` to stderr (cli/main.ts). */
export class ExitError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}
