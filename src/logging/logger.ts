// pino, JSON lines. Tokens, cookies and masked values are redacted (redact.ts) before anything is
// written, in case a header map or a masking result ever reaches a log call. Lines about one
// request carry its request id (and decision): a child logger per ext_proc exchange; a Check's
// one decision line sets the same fields itself.
import { createRequire } from 'node:module';
import { pino, type Logger, type DestinationStream, type LoggerOptions } from 'pino';
import { stdoutDestination } from './destination.js';
import { secretRedactor } from './redact.js';

export type { Logger };

export interface CreateLoggerOptions {
  /** Headers to redact besides the usual ones (the configured token header). */
  readonly redactHeaders?: readonly string[];
  /** true / 'auto' (stdout is a TTY): pretty lines through pino-pretty, if it is installed. */
  readonly pretty?: boolean | 'auto';
}

export function createLogger(level: string, destination?: DestinationStream, options: CreateLoggerOptions = {}): Logger {
  const redact = secretRedactor(options.redactHeaders);
  const base: LoggerOptions = { level, base: { service: 'residency-gate' }, formatters: { log: redact, bindings: redact } };
  const pretty = options.pretty === true || (options.pretty === 'auto' && process.stdout.isTTY === true);
  if (destination === undefined && pretty && prettyAvailable()) {
    return pino({ ...base, transport: { target: 'pino-pretty', options: { colorize: true, translateTime: 'SYS:standard' } } });
  }
  return pino(base, destination ?? stdoutDestination());
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
