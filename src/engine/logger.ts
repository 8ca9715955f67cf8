import { pino, type Logger } from 'pino';

export type { Logger };

/** Paths whose values never reach a log line. */
export const REDACTED_PATHS = [
  '*.password',
  '*.secret',
  '*.apiKey',
  '*.api_key',
  '*.token',
  '*.accessToken',
  '*.clientSecret',
  '*.authorization',
  '*.Authorization',
  'headers.authorization',
  'headers.cookie',
  '*.headers.authorization',
];

/**
 * revsync's structured JSON logger (pino). Level from `REVSYNC_LOG_LEVEL` (default `info`);
 * secrets redacted by path.
 */
export function createLogger(
  options: { level?: string; name?: string; file?: string } = {},
): Logger {
  const destination = options.file
    ? pino.destination({ dest: options.file, mkdir: true, sync: false })
    : undefined;
  const settings = {
    name: options.name ?? 'revsync',
    level: options.level ?? process.env.REVSYNC_LOG_LEVEL ?? 'info',
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    base: undefined,
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  return destination ? pino(settings, destination) : pino(settings);
}
