import { pino, type DestinationStream, type Logger } from 'pino';
import { redactSecrets } from '../model/secret-redaction.ts';

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
  '*.headers.Authorization',
  '*.headers.cookie',
  '*.headers["x-api-key"]',
  '*.clientSecret',
  '*.consumerSecret',
  '*.tokenSecret',
  '*.refreshToken',
  '*.webhookSecret',
  '*.signingKey',
  '*.privateKey',
];

/**
 * Serializers of {@link createLogger}: errors keep pino's standard fields with secrets masked in
 * their message and stack (a vendor's error may quote a header or URL).
 */
export const SAFE_SERIALIZERS = {
  err(error: unknown) {
    const out = pino.stdSerializers.err(error as Error) as unknown as Record<string, unknown>;
    for (const key of ['message', 'stack'] as const) {
      if (typeof out[key] === 'string') out[key] = redactSecrets(out[key]);
    }
    return out;
  },
};

/**
 * revsync's structured JSON logger (pino). Level from `REVSYNC_LOG_LEVEL` (default `info`);
 * secrets redacted by path, and masked in messages and error texts ({@link redactSecrets}).
 * Writes to stdout, or `file`, or `destination` (a stream; tests read it).
 */
export function createLogger(
  options: { level?: string; name?: string; file?: string; destination?: DestinationStream } = {},
): Logger {
  const destination =
    options.destination ??
    (options.file ? pino.destination({ dest: options.file, mkdir: true, sync: false }) : undefined);
  const settings = {
    name: options.name ?? 'revsync',
    level: options.level ?? process.env.REVSYNC_LOG_LEVEL ?? 'info',
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    serializers: SAFE_SERIALIZERS,
    hooks: {
      // Messages are free text: mask API keys, credentials and secret query parameters in them.
      logMethod(this: Logger, args: unknown[], method: (...a: unknown[]) => void) {
        method.apply(
          this,
          args.map((a) => (typeof a === 'string' ? redactSecrets(a) : a)),
        );
      },
    },
    base: undefined,
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  return destination ? pino(settings, destination) : pino(settings);
}
