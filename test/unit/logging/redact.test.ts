import { describe, expect, it } from 'vitest';
import { CENSOR, secretRedactor } from '../../../src/logging/redact.js';

describe('secretRedactor', () => {
  const redact = secretRedactor(['X-Caller-Token']);

  it('returns a line without secrets as it is, the same object', () => {
    const line = { request_id: 'r1', decision: 'allow', ms: 1.2, masked: { request: { email: 2 } }, err: new Error('x') };
    expect(redact(line)).toBe(line);
  });

  it('censors secret headers at the top, under request and under any key, whatever else the map holds', () => {
    const line = {
      headers: { authorization: 'Bearer a', accept: '*/*' },
      request: { headers: { cookie: 'sid=1', 'x-caller-token': 't' } },
      upstream: { headers: { 'set-cookie': 'a=b', 'proxy-authorization': 'Basic x' } },
    };
    expect(redact(line)).toEqual({
      headers: { authorization: CENSOR, accept: '*/*' },
      request: { headers: { cookie: CENSOR, 'x-caller-token': CENSOR } },
      upstream: { headers: { 'set-cookie': CENSOR, 'proxy-authorization': CENSOR } },
    });
  });

  it('censors token keys and masked originals at the top and one level down', () => {
    expect(redact({ token: 'eyJ', identity: { id_token: 'eyJ', sub: 'alice' }, masking: { original: 'alice@example.com', unmasked: 'x', masked_values: ['y'] } })).toEqual({
      token: CENSOR,
      identity: { id_token: CENSOR, sub: 'alice' },
      masking: { original: CENSOR, unmasked: CENSOR, masked_values: CENSOR },
    });
  });

  it('censors a secret key whatever its value, null included, at the top as one level down', () => {
    expect(redact({ token: null, identity: { access_token: null } })).toEqual({ token: CENSOR, identity: { access_token: CENSOR } });
  });

  it('never changes the caller’s objects', () => {
    const headers = { authorization: 'Bearer a' };
    const line = { headers, nested: { access_token: 'x' } };
    redact(line);
    expect(line).toEqual({ headers: { authorization: 'Bearer a' }, nested: { access_token: 'x' } });
    expect(line.headers).toBe(headers);
  });

  it('leaves arrays, nulls and absent values alone', () => {
    const line = { token: undefined, headers: null, list: [{ token: 'in an array: not a path we redact' }] };
    expect(redact(line)).toBe(line);
  });
});
