import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { FIELD_REPLACEMENT, hashToken, partialMask } from '../../../../src/masking/engine/actions.js';
import { compileProfile } from '../../../../src/masking/engine/compile.js';
import { maskText } from '../../../../src/masking/engine/text.js';
import { card, email, HASH_KEY, profileOf } from './fixtures.js';

describe('partialMask', () => {
  it('keeps the last four characters behind a fixed four stars', () => {
    expect(partialMask('4111111111111111')).toBe('****1111');
    expect(partialMask('4111 1111 1111 1111')).toBe('****1111');
    expect(partialMask('alice@example.com')).toBe('****.com');
  });

  it('keeps nothing of a value shorter than eight characters', () => {
    expect(partialMask('1234567')).toBe('****');
    expect(partialMask('12345678')).toBe('****5678');
  });

  it('counts code points, so an astral character is never cut', () => {
    expect(partialMask('abcdefg😀')).toBe('****efg😀');
  });
});

describe('hashToken', () => {
  it('is an HMAC-SHA256 prefix under the bare label', () => {
    const mac = createHmac('sha256', HASH_KEY).update('alice@example.com').digest('hex').slice(0, 16);
    expect(hashToken('[EMAIL]', 'alice@example.com', HASH_KEY)).toBe(`[EMAIL:hmac:${mac}]`);
    expect(hashToken('PHONE', 'x', HASH_KEY)).toMatch(/^\[PHONE:hmac:[0-9a-f]{16}\]$/);
  });

  it('is equal for equal values and depends on the key', () => {
    const a = hashToken('[EMAIL]', 'a@b.com', HASH_KEY);
    expect(hashToken('[EMAIL]', 'a@b.com', HASH_KEY)).toBe(a);
    expect(hashToken('[EMAIL]', 'c@b.com', HASH_KEY)).not.toBe(a);
    expect(hashToken('[EMAIL]', 'a@b.com', Buffer.from('another key, also 32 bytes long!'))).not.toBe(a);
  });
});

describe('actions in maskText', () => {
  it('redacts to the label, keeps four for partial, and hashes joinably', () => {
    const profile = profileOf({ email: 'hash', card: 'partial' });
    const { text, counts } = maskText('to a@b.com and a@b.com, card 4111-1111-1111-1111.', profile);
    const token = hashToken(email.label, 'a@b.com', HASH_KEY);
    expect(text).toBe(`to ${token} and ${token}, card ****1111.`);
    expect(counts).toEqual({ email: 2, card: 1 });
    expect(maskText('a@b.com', profileOf({ email: 'redact' })).text).toBe('[EMAIL]');
  });

  it('whole-field rules use the documented replacement', () => {
    expect(FIELD_REPLACEMENT).toBe('[REDACTED]');
  });
});

describe('compileProfile', () => {
  it('refuses a hashing rule without a key', () => {
    expect(() => compileProfile({ name: 'p', rules: [{ detector: card, action: 'hash' }], fieldNames: [], fieldPaths: [] })).toThrow(/hash key/);
  });

  it('refuses a detector without a usable maxLength', () => {
    const broken = { ...card, maxLength: 0 };
    expect(() => compileProfile({ name: 'p', rules: [{ detector: broken, action: 'redact' }], fieldNames: [], fieldPaths: [] })).toThrow(/maxLength/);
  });

  it('does not share lastIndex with the catalog pattern', () => {
    const profile = profileOf({ email: 'redact' });
    email.pattern.lastIndex = 5;
    maskText('x a@b.com', profile);
    expect(email.pattern.lastIndex).toBe(5);
    email.pattern.lastIndex = 0;
  });
});
