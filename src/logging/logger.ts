// pino, JSON lines. Tokens and cookies are redacted by path before anything is written, in case a
// header map ever reaches a log call.
import { pino, type Logger, type DestinationStream } from 'pino';

export type { Logger };

const REDACT = [
  'headers.authorization',
  'headers.cookie',
  'headers["proxy-authorization"]',
  '*.headers.authorization',
  '*.headers.cookie',
  'token',
];

export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino({ level, base: { service: 'residency-gate' }, redact: { paths: REDACT, censor: '[redacted]' } }, destination);
}
