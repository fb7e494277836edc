// pino, JSON lines. Tokens, cookies and masked values are redacted by path before anything is
// written, in case a header map or a masking result ever reaches a log call. Each Check and each
// ext_proc exchange logs through a child logger that carries its request id (and decision).
import { createRequire } from 'node:module';
import { pino, type Logger, type DestinationStream, type LoggerOptions } from 'pino';

export type { Logger };

const SECRET_HEADERS = ['authorization', 'proxy-authorization', 'cookie', 'set-cookie', 'x-residency-token'];

/** Paths pino blanks out; `extraHeaders` adds e.g. the configured identity.token_header. */
export function redactPaths(extraHeaders: readonly string[] = []): string[] {
  const headers = [...new Set([...SECRET_HEADERS, ...extraHeaders.map((h) => h.toLowerCase())])];
  const paths: string[] = [];
  for (const h of headers) {
    const key = /^[a-z_$][a-z0-9_$]*$/i.test(h) ? `.${h}` : `["${h}"]`;
    paths.push(`headers${key}`, `*.headers${key}`, `request.headers${key}`);
  }
  // Tokens under any name we use, and whatever a masker replaced: the point of masking is that
  // the original never leaves, logs included.
  for (const key of ['token', 'access_token', 'id_token', 'masked_values', 'original', 'unmasked']) paths.push(key, `*.${key}`);
  return paths;
}

export interface CreateLoggerOptions {
  /** Headers to redact besides the usual ones (the configured token header). */
  readonly redactHeaders?: readonly string[];
  /** true / 'auto' (stdout is a TTY): pretty lines through pino-pretty, if it is installed. */
  readonly pretty?: boolean | 'auto';
}

export function createLogger(level: string, destination?: DestinationStream, options: CreateLoggerOptions = {}): Logger {
  const base: LoggerOptions = { level, base: { service: 'residency-gate' }, redact: { paths: redactPaths(options.redactHeaders), censor: '[redacted]' } };
  const pretty = options.pretty === true || (options.pretty === 'auto' && process.stdout.isTTY === true);
  if (destination === undefined && pretty && prettyAvailable()) {
    return pino({ ...base, transport: { target: 'pino-pretty', options: { colorize: true, translateTime: 'SYS:standard' } } });
  }
  return pino(base, destination);
}

/** pino-pretty is optional: not a dependency; used only where someone installed it. */
export function prettyAvailable(): boolean {
  try {
    createRequire(import.meta.url).resolve('pino-pretty');
    return true;
  } catch {
    return false;
  }
}

/** The logger for one request: every line carries its request id and, once known, the decision. */
export function requestLogger(logger: Logger, requestId: string, fields: Readonly<Record<string, unknown>> = {}): Logger {
  return logger.child({ request_id: requestId, ...fields });
}

/**
 * SIGUSR2: debug while the configured level is less verbose, back to the configured level
 * otherwise. Returns the new level.
 */
export function toggleDebug(logger: Logger, configured: string): string {
  const next = logger.level === 'debug' || logger.level === 'trace' ? (configured === 'debug' ? 'info' : configured) : 'debug';
  logger.level = next;
  return next;
}
