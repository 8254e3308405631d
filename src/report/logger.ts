import winston from 'winston';

import type { LogFormat, LogLevel } from '../log.js';

/** The controller's log (a report/log.ts Log), which `run` also ends (flushes) at exit. */
type Logger = winston.Logger;

/**
 * The controller's logger: one JSON object per line by default (what log collectors want), or
 * `LEVEL message key=value ...` lines with `--log-format text`. Everything goes to stdout.
 */
export function createLogger(opts: { format?: LogFormat; level?: LogLevel; stream?: NodeJS.WritableStream } = {}): Logger {
  const format =
    opts.format === 'text'
      ? winston.format.combine(
          winston.format.timestamp(),
          winston.format.printf((info) => {
            const { level, message, timestamp, ...rest } = info as Record<string, unknown>;
            const fields = Object.entries(rest)
              .filter(([, v]) => v !== undefined)
              .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
              .join(' ');
            return `${String(timestamp)} ${String(level).toUpperCase()} ${String(message)}${fields ? ` ${fields}` : ''}`;
          }),
        )
      : winston.format.combine(winston.format.timestamp(), winston.format.json());
  const transport = opts.stream
    ? new winston.transports.Stream({ stream: opts.stream })
    : new winston.transports.Console();
  return winston.createLogger({ level: opts.level ?? 'info', format, transports: [transport] });
}
