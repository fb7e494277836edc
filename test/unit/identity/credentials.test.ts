import { describe, expect, it } from 'vitest';
import { ResidencyError, type ErrorCode } from '../../../src/errors/catalog.js';
import { findBearerToken } from '../../../src/identity/credentials.js';

const TOKEN = 'eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln';

function codeOf(fn: () => unknown): ErrorCode | undefined {
  try {
    fn();
    return undefined;
  } catch (err) {
    if (err instanceof ResidencyError) return err.code;
    throw err;
  }
}

const fromAuthorization = (value: string, maxBytes = 8192): string => findBearerToken({ authorization: value }, 'authorization', maxBytes);

describe('findBearerToken', () => {
  it('returns the token after the Bearer scheme, in any casing of the scheme', () => {
    expect(fromAuthorization(`Bearer ${TOKEN}`)).toBe(TOKEN);
    expect(fromAuthorization(`bearer ${TOKEN}`)).toBe(TOKEN);
    expect(fromAuthorization(`BEARER ${TOKEN}`)).toBe(TOKEN);
  });

  it('accepts an empty signature segment so alg none gets its own refusal later', () => {
    expect(fromAuthorization('Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.')).toBe('eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.');
  });

  it('answers TOKEN_MISSING without the header, with an empty one, or with another scheme', () => {
    expect(codeOf(() => findBearerToken({}, 'authorization', 8192))).toBe('TOKEN_MISSING');
    expect(codeOf(() => findBearerToken({ other: TOKEN }, 'authorization', 8192))).toBe('TOKEN_MISSING');
    expect(codeOf(() => fromAuthorization('   '))).toBe('TOKEN_MISSING');
    expect(codeOf(() => fromAuthorization('Basic dXNlcjpwYXNz'))).toBe('TOKEN_MISSING');
    expect(codeOf(() => fromAuthorization('Bearer'))).toBe('TOKEN_MISSING');
  });

  it('does not look up inherited properties as headers', () => {
    expect(codeOf(() => findBearerToken({}, 'constructor', 8192))).toBe('TOKEN_MISSING');
  });

  it('answers TOKEN_MALFORMED for two Authorization headers joined by Envoy', () => {
    expect(codeOf(() => fromAuthorization(`Bearer ${TOKEN},Bearer ${TOKEN}`))).toBe('TOKEN_MALFORMED');
    expect(codeOf(() => fromAuthorization(`Bearer ${TOKEN}, Basic abc`))).toBe('TOKEN_MALFORMED');
  });

  it('answers TOKEN_MALFORMED for a bare token or extra words in Authorization', () => {
    expect(codeOf(() => fromAuthorization(TOKEN))).toBe('TOKEN_MALFORMED');
    expect(codeOf(() => fromAuthorization(`Bearer ${TOKEN} extra`))).toBe('TOKEN_MALFORMED');
  });

  it('answers TOKEN_MALFORMED unless the token is three base64url segments', () => {
    for (const bad of ['abc.def', 'a.b.c.d.e', 'ab$c.def.ghi', 'abc.de+f.ghi', 'abc.def.gh/i', '.def.ghi', 'abc..ghi', 'abc.def.ghi=']) {
      expect(codeOf(() => fromAuthorization(`Bearer ${bad}`)), bad).toBe('TOKEN_MALFORMED');
    }
  });

  it('answers TOKEN_TOO_LARGE before parsing, for a token over the limit', () => {
    expect(codeOf(() => fromAuthorization(`Bearer ${'a'.repeat(100_000)}`, 8192))).toBe('TOKEN_TOO_LARGE');
    // Oversized and also malformed (two headers): the size check comes first.
    expect(codeOf(() => fromAuthorization(`Bearer ${'a'.repeat(9000)},Bearer x.y.z`, 8192))).toBe('TOKEN_TOO_LARGE');
    const atLimit = `${'a'.repeat(40)}.${'b'.repeat(40)}.${'c'.repeat(18)}`;
    expect(atLimit).toHaveLength(100);
    expect(fromAuthorization(`Bearer ${atLimit}`, 100)).toBe(atLimit);
    expect(codeOf(() => fromAuthorization(`Bearer ${atLimit}c`, 100))).toBe('TOKEN_TOO_LARGE');
  });

  it('counts bytes, not characters', () => {
    const wide = `Bearer ${'é'.repeat(60)}`;
    expect(codeOf(() => fromAuthorization(wide, 100))).toBe('TOKEN_TOO_LARGE');
  });

  it('takes a bare token or a Bearer value from a custom header', () => {
    expect(findBearerToken({ 'x-id-token': TOKEN }, 'x-id-token', 8192)).toBe(TOKEN);
    expect(findBearerToken({ 'x-id-token': `Bearer ${TOKEN}` }, 'x-id-token', 8192)).toBe(TOKEN);
    expect(findBearerToken({ 'x-id-token': TOKEN }, 'X-Id-Token', 8192)).toBe(TOKEN);
    expect(codeOf(() => findBearerToken({ 'x-id-token': `Token ${TOKEN}` }, 'x-id-token', 8192))).toBe('TOKEN_MISSING');
    expect(codeOf(() => findBearerToken({ 'x-id-token': 'not-a-jwt' }, 'x-id-token', 8192))).toBe('TOKEN_MALFORMED');
  });
});
