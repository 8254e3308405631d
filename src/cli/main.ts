#!/usr/bin/env node
import { Command, CommanderError } from 'commander';
import { EXIT_USAGE, ExitError } from './exit.js';
import { renderCommand } from './render.js';
import { runCommand } from './run.js';
import { auditCommand } from './audit.js';

function buildProgram(): Command {
  const program = new Command('portico')
    .description('Kubernetes Ingress controller with nginx in the data path')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
  program.addCommand(renderCommand().exitOverride());
  program.addCommand(runCommand().exitOverride());
  program.addCommand(auditCommand().exitOverride());
  return program;
}

export async function main(argv: string[]): Promise<number> {
  try {
    await buildProgram().parseAsync(argv, { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version are not errors.
      return err.exitCode === 0 ? 0 : EXIT_USAGE;
    }
    if (err instanceof ExitError) {
      process.stderr.write(`${err.message}\n`);
      return err.code;
    }
    process.stderr.write(`portico: ${(err as Error).stack ?? String(err)}\n`);
    return 1;
  }
}

main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
