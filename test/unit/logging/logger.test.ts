import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, requestLogger, toggleDebug } from '../../../src/logging/logger.js';

function capture() {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const l of chunk.toString('utf8').split('\n')) if (l !== '') lines.push(JSON.parse(l) as Record<string, unknown>);
      cb();
    },
  });
  return { lines, stream };
}

describe('logger', () => {
  it('redacts tokens, cookies, the configured token header and masked originals', () => {
    const { lines, stream } = capture();
    const log = createLogger('info', stream, { redactHeaders: ['X-Caller-Token'] });
    log.info({
      headers: { authorization: 'Bearer abc', cookie: 'sid=1', 'x-caller-token': 'tok', accept: '*/*' },
      request: { headers: { 'set-cookie': 'a=b' } },
      token: 'eyJ',
      masking: { original: 'alice@example.com' },
    }, 'hello');
    const line = lines[0]!;
    expect(line.headers).toEqual({ authorization: '[redacted]', cookie: '[redacted]', 'x-caller-token': '[redacted]', accept: '*/*' });
    expect(line.request).toEqual({ headers: { 'set-cookie': '[redacted]' } });
    expect(line.token).toBe('[redacted]');
    expect(line.masking).toEqual({ original: '[redacted]' });
  });

  it('gives each request a child logger carrying its request id and decision', () => {
    const { lines, stream } = capture();
    requestLogger(createLogger('info', stream), 'req-7', { decision: 'deny' }).info('residency decision');
    expect(lines[0]).toMatchObject({ request_id: 'req-7', decision: 'deny', msg: 'residency decision', service: 'residency-gate' });
  });

  it('toggles between the configured level and debug (SIGUSR2)', () => {
    const log = createLogger('info', capture().stream);
    expect(toggleDebug(log, 'info')).toBe('debug');
    expect(log.level).toBe('debug');
    expect(toggleDebug(log, 'info')).toBe('info');
    const verbose = createLogger('debug', capture().stream);
    expect(toggleDebug(verbose, 'debug')).toBe('info');
    expect(toggleDebug(verbose, 'debug')).toBe('debug');
  });
});
