import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { maskText } from '../../../../src/masking/engine/text.js';
import { MaskingError, type Detector } from '../../../../src/masking/types.js';
import { card, email, fillerText, profileOf, textWithPii } from './fixtures.js';
import { referenceMaskText } from './oracle.js';

describe('maskText', () => {
  const profile = profileOf({ email: 'redact', card: 'partial', key_tag: 'redact' });

  it('replaces every match and counts by detector', () => {
    const { text, counts } = maskText('Mail alice@example.com or BOB@Example.org; card 4111 1111 1111 1111; 🔑clé.', profile);
    expect(text).toBe('Mail [EMAIL] or [EMAIL]; card ****1111; [KEY].');
    expect(counts).toEqual({ email: 2, card: 1, key_tag: 1 });
  });

  it('drops candidates that fail validation', () => {
    expect(maskText('not a card: 4111 1111 1111 1112', profile)).toEqual({ text: 'not a card: 4111 1111 1111 1112', counts: {} });
  });

  it('respects the pattern boundaries', () => {
    expect(maskText('x14111111111111111', profile).text).toBe('x14111111111111111');
  });

  it('resolves overlaps: earliest start, then longest, then the first rule', () => {
    const digits: Detector = { name: 'digits', label: '[D]', pattern: /\d{4}/g, maxLength: 4 };
    const longer: Detector = { name: 'longer', label: '[L]', pattern: /\d{6}/g, maxLength: 6 };
    const same: Detector = { name: 'same', label: '[S]', pattern: /\d{4}/g, maxLength: 4 };
    const p = { name: 'o', rules: [digits, longer, same].map((detector) => ({ detector, action: 'redact' as const })), fieldNames: [], fieldPaths: [] };
    expect(maskText('a1234567890', p).text).toBe('a[L][D]');
    expect(maskText('x1234', p)).toEqual({ text: 'x[D]', counts: { digits: 1 } });
  });

  it('rejects a detector whose match exceeds its maxLength', () => {
    const liar: Detector = { name: 'liar', label: '[X]', pattern: /x+/g, maxLength: 2 };
    expect(() => maskText('xxxx', { name: 'l', rules: [{ detector: liar, action: 'redact' }], fieldNames: [], fieldPaths: [] })).toThrow(MaskingError);
  });

  it('passes text through with no rules', () => {
    expect(maskText('a@b.com', profileOf({}))).toEqual({ text: 'a@b.com', counts: {} });
  });

  it('agrees with the position-by-position reference', () => {
    const hashing = profileOf({ email: 'hash', card: 'partial', key_tag: 'hash' });
    fc.assert(
      fc.property(fc.oneof(fillerText, textWithPii.map((t) => t.text)), (text) => {
        expect(maskText(text, hashing).text).toBe(referenceMaskText(text, hashing));
      }),
      { numRuns: 300 },
    );
  });

  it('never leaves an injected value in the output', () => {
    fc.assert(
      fc.property(textWithPii, fc.constantFrom('redact', 'partial', 'hash'), ({ text, pii }, action) => {
        const out = maskText(text, profileOf({ email: action, card: action, key_tag: action })).text;
        for (const value of pii) expect(out).not.toContain(value);
      }),
      { numRuns: 200 },
    );
  });

  it('card and email detectors are sound on their own', () => {
    expect(maskText('a@b.co', profileOf({ email: 'redact' })).text).toBe(email.label);
    expect(maskText('4111111111111111', profileOf({ card: 'redact' })).text).toBe(card.label);
  });
});
