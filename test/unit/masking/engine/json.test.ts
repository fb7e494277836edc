import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { maskJson } from '../../../../src/masking/engine/json.js';
import { MaskingError, type MaskingProfile } from '../../../../src/masking/types.js';
import { profileOf } from './fixtures.js';
import { referenceMaskJson, referenceMaskText, type Json } from './oracle.js';

const profile = profileOf({ email: 'redact', card: 'partial' }, { fieldNames: ['SSN', 'password'], fieldPaths: ['$.customer.dob', '$.items[*].email', '*.token'] });
const mask = (text: string): string => maskJson(text, profile).text;

describe('maskJson', () => {
  it('masks inside string values and keeps formatting and keys', () => {
    const input = '{\n  "alice@example.com" : "write to alice@example.com",\n\t"n": [1, 2.5e3, true, null]\n}\n';
    expect(mask(input)).toBe('{\n  "alice@example.com" : "write to [EMAIL]",\n\t"n": [1, 2.5e3, true, null]\n}\n');
  });

  it('detects on the decoded value and re-encodes only the strings it changes', () => {
    expect(mask('["a\\u0040b.com", "caf\\u00e9 \\/ ok", "x\\"y a@b.com \\n"]')).toBe('["[EMAIL]", "caf\\u00e9 \\/ ok", "x\\"y [EMAIL] \\n"]');
  });

  it('escapes replacement text so the output stays valid JSON', () => {
    const labelled = profileOf({ email: 'redact' });
    const weird = { ...labelled, rules: [{ ...labelled.rules[0]!, detector: { ...labelled.rules[0]!.detector, label: '"[E\\]"\n' } }] };
    const out = maskJson('{"k":"a@b.com"}', weird).text;
    expect(JSON.parse(out)).toEqual({ k: '"[E\\]"\n' });
  });

  it('replaces whole values under field names at any depth, case-insensitively', () => {
    const out = mask('{"ssn": 123456789, "a": {"Password": {"x": [1, {"y": 2}]}, "b": [{"SSN": null}]}}');
    expect(out).toBe('{"ssn": "[REDACTED]", "a": {"Password": "[REDACTED]", "b": [{"SSN": "[REDACTED]"}]}}');
    expect(maskJson('{"ssn": [1]}', profile).counts).toEqual({ field: 1 });
  });

  it('replaces values at paths', () => {
    const input = JSON.stringify({
      customer: { dob: '1990-01-01', name: 'x' },
      dob: 'kept',
      items: [{ email: 'not detected but at path', other: 'a@b.com' }, { email: { nested: true } }],
      deep: { list: [{ token: 'abc' }] },
    });
    expect(JSON.parse(mask(input))).toEqual({
      customer: { dob: '[REDACTED]', name: 'x' },
      dob: 'kept',
      items: [{ email: '[REDACTED]', other: '[EMAIL]' }, { email: '[REDACTED]' }],
      deep: { list: [{ token: '[REDACTED]' }] },
    });
  });

  it('writes long keys out unchanged; they match no field name but still count as keys', () => {
    const long = 'k'.repeat(1000);
    const input = `{"${long}": {"ssn": 1, "x": "a@b.com"}, "${'ssn'.padEnd(300, ' ')}": 2}`;
    expect(mask(input)).toBe(`{"${long}": {"ssn": "[REDACTED]", "x": "[EMAIL]"}, "${'ssn'.padEnd(300, ' ')}": 2}`);
    expect(maskJson(`{"${long}": 1}`, { ...profile, fieldPaths: ['$.*'] }).text).toBe(`{"${long}": "[REDACTED]"}`);
  });

  it('turns a number a detector matches into a masked string', () => {
    expect(maskJson('{"card": 4111111111111111, "n": 4111111111111112}', profile)).toEqual({
      text: '{"card": "****1111", "n": 4111111111111112}',
      counts: { card: 1 },
    });
    expect(mask('4111111111111111')).toBe('"****1111"');
  });

  it('never masks keys', () => {
    expect(mask('{"a@b.com": {"4111111111111111": 1}}')).toBe('{"a@b.com": {"4111111111111111": 1}}');
  });

  it('accepts scalars at the top level, a BOM, and an empty body', () => {
    expect(mask(' "a@b.com" ')).toBe(' "[EMAIL]" ');
    expect(mask('\ufeff{"a": "a@b.com"}')).toBe('\ufeff{"a": "[EMAIL]"}');
    expect(mask('')).toBe('');
    expect(mask(' \n')).toBe(' \n');
  });

  it.each([
    ['a truncated object', '{"a": 1'],
    ['a truncated string', '["abc'],
    ['a truncated escape', '["\\u00'],
    ['trailing garbage', '{"a": 1} x'],
    ['two values', '1 2'],
    ['a missing value', '{"a":}'],
    ['a trailing comma', '[1,]'],
    ['a missing colon', '{"a" 1}'],
    ['single quotes', "{'a': 1}"],
    ['a bad escape', '["\\x"]'],
    ['a bad unicode escape', '["\\u00g0"]'],
    ['a raw control character', '["a\nb"]'],
    ['a leading zero', '[01]'],
    ['a bad literal', '[tru]'],
    ['a bad number', '[1.]'],
    ['mismatched brackets', '[1}'],
    ['a stray closing bracket', ']'],
    ['a non-string key', '{1: 2}'],
    ['whitespace JSON does not allow', '[1,\u00a02]'],
  ])('rejects %s', (_, text) => {
    expect(() => maskJson(text, profile)).toThrow(MaskingError);
    expect(() => JSON.parse(text)).toThrow();
  });

  it('rejects every raw control character inside a key or a string, wherever the string is', () => {
    for (let code = 0; code < 0x20; code++) {
      const c = String.fromCharCode(code);
      for (const text of [`["a${c}b"]`, `{"k${c}": 1}`, `[${'"ok", '.repeat(50)}"${'x'.repeat(30)}${c}"]`, `["${c}"]`]) {
        expect(() => maskJson(text, profile), `U+${code.toString(16).padStart(4, '0')} in ${JSON.stringify(text)}`).toThrow(MaskingError);
      }
    }
  });

  it('says where the JSON is invalid', () => {
    expect(() => maskJson('{"a":}', profile)).toThrow('invalid JSON at character 5: expected a value, found "}"');
    expect(() => maskJson('{"a": 1', profile)).toThrow(/ends early: 1 container/);
  });

  it('enforces the nesting and number limits', () => {
    expect(() => maskJson('['.repeat(5) + ']'.repeat(5), profile, { maxDepth: 4 })).toThrow(/nesting deeper than 4/);
    expect(maskJson('['.repeat(4) + ']'.repeat(4), profile, { maxDepth: 4 }).text).toBe('[[[[]]]]');
    expect(() => maskJson(`[${'1'.repeat(20)}]`, profile, { maxNumberChars: 10 })).toThrow(/number longer than 10/);
  });

  it('masks a string longer than the limit in streaming fashion, re-encoding it', () => {
    const long = `${'x'.repeat(50)} a@b.com caf\\u00e9 ${'y'.repeat(50)}`;
    const out = maskJson(`["${long}", "short \\u00e9"]`, profile, { maxStringChars: 64 }).text;
    expect(out).toBe(`["${'x'.repeat(50)} [EMAIL] café ${'y'.repeat(50)}", "short \\u00e9"]`);
  });
});

describe('maskJson field names and paths', () => {
  const KEYS = ['items', 'Items', 'list', 'a', 'b', 'x', 'id', 'İd', 'i̇d', 'ID', 'k"q', '😀'];
  const doc: fc.Arbitrary<Json> = fc.letrec<{ value: Json }>((tie) => ({
    value: fc.oneof(
      { maxDepth: 4, depthIdentifier: 'd' },
      fc.oneof(fc.constantFrom('v', 'a@b.com', 'İ'), fc.integer(), fc.boolean(), fc.constant(null)),
      fc.array(tie('value'), { maxLength: 4, depthIdentifier: 'd' }),
      fc.dictionary(fc.constantFrom(...KEYS), tie('value'), { maxKeys: 4, depthIdentifier: 'd' }),
    ),
  })).value;
  const lower = (k: string | number | undefined): string | undefined => (typeof k === 'string' ? k.toLowerCase() : undefined);
  type Where = readonly (string | number)[];
  // Each rule with an independent statement of what it replaces.
  const CASES: readonly [string, Partial<Pick<MaskingProfile, 'fieldNames' | 'fieldPaths'>>, (p: Where) => boolean][] = [
    ['a name with İ', { fieldNames: ['İd'] }, (p) => lower(p.at(-1)) === 'i̇d'],
    ['an index', { fieldPaths: ['$.items[1]'] }, (p) => p.length === 2 && lower(p[0]) === 'items' && p[1] === 1],
    ['any top-level key', { fieldPaths: ['$.*'] }, (p) => p.length === 1 && typeof p[0] === 'string'],
    ['any element under a key, at any depth', { fieldPaths: ['*.list[*]'] }, (p) => p.length >= 2 && lower(p.at(-2)) === 'list' && typeof p.at(-1) === 'number'],
    ['a wildcard in the middle', { fieldPaths: ['$.a.*.b'] }, (p) => p.length === 3 && lower(p[0]) === 'a' && typeof p[1] === 'string' && lower(p[2]) === 'b'],
    ['any key at any depth', { fieldPaths: ['*.*'] }, (p) => typeof p.at(-1) === 'string'],
    ['a name and a path', { fieldNames: ['x'], fieldPaths: ['*[0]'] }, (p) => lower(p.at(-1)) === 'x' || p.at(-1) === 0],
  ];

  it.each(CASES)('replaces values by %s, and only those', (_, rules, redact) => {
    const p = profileOf({ email: 'redact' }, rules);
    fc.assert(
      fc.property(doc, fc.constantFrom(undefined, 1), (value, indent) => {
        const text = JSON.stringify(value, null, indent);
        expect(JSON.parse(maskJson(text, p).text)).toEqual(referenceMaskJson(value, p, redact));
      }),
      { numRuns: 150 },
    );
  });
});

describe('maskJson on strings written without escapes', () => {
  const unit = fc.constantFrom('a', ' ', 'é', '😀', '\ud800', '\udc00', '🔑', 'a@b.com', '4111111111111111', '🔑clé');
  const profiles = [
    profileOf({ email: 'redact', card: 'partial', key_tag: 'hash' }),
    profileOf({ email: 'partial', card: 'hash', key_tag: 'partial' }),
    (() => {
      const p = profileOf({ email: 'redact', key_tag: 'redact' });
      return { ...p, rules: p.rules.map((r) => ({ ...r, detector: { ...r.detector, label: '"\\\n[X]' } })) };
    })(),
  ];

  it('writes a masked value exactly as JSON.stringify would, and an unmasked one as it was', () => {
    fc.assert(
      fc.property(fc.array(unit, { maxLength: 8 }).map((u) => u.join('')), fc.constantFrom(...profiles), (s, p) => {
        const masked = referenceMaskText(s, p);
        expect(maskJson(`["${s}"]`, p).text).toBe(masked === s ? `["${s}"]` : `[${JSON.stringify(masked)}]`);
      }),
      { numRuns: 300 },
    );
  });
});
