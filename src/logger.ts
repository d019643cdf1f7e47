import { type Logger, pino } from 'pino';

export type { Logger };

/**
 * Paths that must never reach a log line, whatever object a caller logs. Secrets are also kept out
 * of the objects in the first place; this is the second fence.
 */
const REDACTED_PATHS = [
  'password',
  'secret',
  'token',
  'authorization',
  'req.headers.authorization',
  '*.password',
  '*.secret',
  '*.token',
  '*.number',
  '*.secretKey',
];

export function createLogger(options: { level?: string; destination?: NodeJS.WritableStream } = {}): Logger {
  const level = options.level ?? process.env.HOMEPAY_LOG_LEVEL ?? 'info';
  const opts = { level, redact: { paths: REDACTED_PATHS, censor: '[redacted]' } };
  return options.destination ? pino(opts, options.destination) : pino(opts);
}

/** A logger that drops everything, for tests that do not look at logs. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
