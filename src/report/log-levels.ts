// Apart from logger.ts so that the CLI can declare its flags without loading winston.
export type LogFormat = 'json' | 'text';
export const LOG_LEVELS = ['error', 'warn', 'info', 'debug'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
