import { describe, expect, it } from 'vitest';
import { ResidencyError } from '../../../src/errors/catalog.js';
import { readClaim, readRegion } from '../../../src/identity/claims.js';

describe('readClaim', () => {
  it('reads a top-level key', () => {
    expect(readClaim({ region: 'eu-west' }, 'region')).toBe('eu-west');
  });

  it('walks a dotted path through nested objects', () => {
    expect(readClaim({ ctx: { geo: { region: 'eu-west' } } }, 'ctx.geo.region')).toBe('eu-west');
  });

  it('prefers a whole key that contains dots, such as a namespaced URL claim', () => {
    const payload = { 'https://example.com/claims.region': 'eu-west', 'https://example.com/claims': { region: 'us-east' } };
    expect(readClaim(payload, 'https://example.com/claims.region')).toBe('eu-west');
  });

  it('splits a URL path at the last dot whose prefix is an object-valued key', () => {
    expect(readClaim({ 'https://example.com/claims': { region: 'eu-west' } }, 'https://example.com/claims.region')).toBe('eu-west');
  });

  it('reads a dotted key nested under a URL key', () => {
    const payload = { 'https://example.com/ctx': { 'geo.region': 'eu-west' } };
    expect(readClaim(payload, 'https://example.com/ctx.geo.region')).toBe('eu-west');
  });

  it('takes the longest qualifying prefix and does not backtrack', () => {
    const payload = { a: { 'b.c': 'short-prefix' }, 'a.b': { c: 'long-prefix' } };
    expect(readClaim(payload, 'a.b.c')).toBe('long-prefix');
    expect(readClaim({ a: { 'b.c': 'x' }, 'a.b': { other: 1 } }, 'a.b.c')).toBeUndefined();
  });

  it('skips prefixes whose value is not an object', () => {
    expect(readClaim({ 'a.b': 'text', a: { b: { c: 'found' } } }, 'a.b.c')).toBe('found');
    expect(readClaim({ a: ['x'] }, 'a.0')).toBeUndefined();
  });

  it('answers undefined for absent paths and never reads inherited properties', () => {
    expect(readClaim({}, 'region')).toBeUndefined();
    expect(readClaim({ a: {} }, 'a.b')).toBeUndefined();
    expect(readClaim({}, 'constructor')).toBeUndefined();
    expect(readClaim({ a: {} }, 'a.__proto__')).toBeUndefined();
    expect(readClaim({}, 'toString')).toBeUndefined();
  });
});

describe('readRegion', () => {
  const codeOf = (payload: Record<string, unknown>, path = 'region'): string | undefined => {
    try {
      readRegion(payload, path);
      return undefined;
    } catch (err) {
      return err instanceof ResidencyError ? err.code : 'not a ResidencyError';
    }
  };

  it('returns a non-empty string', () => {
    expect(readRegion({ geo: { region: 'eu-west' } }, 'geo.region')).toBe('eu-west');
  });

  it('answers TOKEN_REGION_MISSING when absent or empty', () => {
    expect(codeOf({})).toBe('TOKEN_REGION_MISSING');
    expect(codeOf({ region: '' })).toBe('TOKEN_REGION_MISSING');
    expect(codeOf({ geo: {} }, 'geo.region')).toBe('TOKEN_REGION_MISSING');
  });

  it('answers TOKEN_CLAIM_INVALID for a value of another type', () => {
    expect(codeOf({ region: 42 })).toBe('TOKEN_CLAIM_INVALID');
    expect(codeOf({ region: ['eu-west'] })).toBe('TOKEN_CLAIM_INVALID');
    expect(codeOf({ region: { name: 'eu-west' } })).toBe('TOKEN_CLAIM_INVALID');
    expect(codeOf({ region: null })).toBe('TOKEN_CLAIM_INVALID');
    expect(codeOf({ region: true })).toBe('TOKEN_CLAIM_INVALID');
  });
});
