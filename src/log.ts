// The one logging seam: every component logs through `Log` (report/logger.ts makes the winston one the
// controller uses; unit tests pass a fake). Apart from logger.ts so that the CLI can declare its flags,
// and the sources and the Kubernetes reporter can name the seam, without loading winston.
export type LogFormat = 'json' | 'text';
export const LOG_LEVELS = ['error', 'warn', 'info', 'debug'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

type LogMethod = (message: string, fields?: Record<string, unknown>) => void;

/** What a component may log: a message and optional fields, at one of the four levels. */
export interface Log {
  error: LogMethod;
  warn: LogMethod;
  info: LogMethod;
  debug: LogMethod;
}

/** A log that drops everything (unit tests, optional logs). */
export const silentLog: Log = { error: () => undefined, warn: () => undefined, info: () => undefined, debug: () => undefined };

/** `log` with `prefix` before every message (one component's lines inside another's). */
export function prefixedLog(log: Log, prefix: string): Log {
  // Called as methods (winston's need their logger as `this`); fields are passed on only when given.
  const wrap =
    (level: LogLevel): LogMethod =>
    (message, ...fields) =>
      log[level](prefix + message, ...fields);
  return { error: wrap('error'), warn: wrap('warn'), info: wrap('info'), debug: wrap('debug') };
}
