import { describe, expect, it } from 'vitest';
import { parsePath, pathMatches, type PathFrame } from '../../../../src/masking/engine/paths.js';

const key = (k: string): PathFrame => ({ array: false, key: k, keyKnown: true, index: -1 });
const idx = (i: number): PathFrame => ({ array: true, key: '', keyKnown: false, index: i });

describe('parsePath', () => {
  it('reads keys, wildcards, indexes and quoted keys', () => {
    expect(parsePath('$.customer.SSN').segments).toEqual([
      { kind: 'key', name: 'customer' },
      { kind: 'key', name: 'ssn' },
    ]);
    expect(parsePath("$.items[*]['e.mail'][2].*").segments).toEqual([
      { kind: 'key', name: 'items' },
      { kind: 'any-index' },
      { kind: 'key', name: 'e.mail' },
      { kind: 'index', index: 2 },
      { kind: 'any-key' },
    ]);
    expect(parsePath('*.email')).toMatchObject({ anchored: false, segments: [{ kind: 'key', name: 'email' }] });
  });

  it.each(['email', '$', '*', '$.', '$..a', '$.a[', '$.a[x]', '$.a b', '$[-1]'])('rejects %j', (source) => {
    expect(() => parsePath(source)).toThrow(/path/);
  });
});

describe('pathMatches', () => {
  it('anchored paths match the whole location', () => {
    const p = parsePath('$.customer.ssn');
    expect(pathMatches(p, [key('customer'), key('ssn')])).toBe(true);
    expect(pathMatches(p, [key('x'), key('customer'), key('ssn')])).toBe(false);
    expect(pathMatches(p, [key('customer')])).toBe(false);
  });

  it('[*] matches array elements only, .* object keys only', () => {
    const p = parsePath('$.items[*].email');
    expect(pathMatches(p, [key('items'), idx(3), key('email')])).toBe(true);
    expect(pathMatches(p, [key('items'), key('3'), key('email')])).toBe(false);
    expect(pathMatches(parsePath('$.*.email'), [key('a'), key('email')])).toBe(true);
    expect(pathMatches(parsePath('$.*.email'), [idx(0), key('email')])).toBe(false);
    expect(pathMatches(parsePath('$.items[1]'), [key('items'), idx(1)])).toBe(true);
    expect(pathMatches(parsePath('$.items[1]'), [key('items'), idx(2)])).toBe(false);
  });

  it('* paths match at any depth', () => {
    const p = parsePath('*.email');
    expect(pathMatches(p, [key('email')])).toBe(true);
    expect(pathMatches(p, [key('a'), idx(0), key('email')])).toBe(true);
    expect(pathMatches(p, [key('email'), key('x')])).toBe(false);
  });

  it('an unknown (overlong) key matches only wildcards', () => {
    const long: PathFrame = { array: false, key: '', keyKnown: false, index: -1 };
    expect(pathMatches(parsePath('$.*'), [long])).toBe(true);
    expect(pathMatches(parsePath('$.a'), [long])).toBe(false);
  });
});
