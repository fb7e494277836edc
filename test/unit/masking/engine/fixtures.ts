// Small detectors and generators for the engine tests. They follow the Detector contract (global
// patterns, one-character lookarounds, a true maxLength) without depending on the real catalog.
import fc from 'fast-check';
import type { Detector, MaskAction, MaskingProfile } from '../../../../src/masking/types.js';

function luhnValid(candidate: string): boolean {
  const digits = candidate.replace(/\D/g, '');
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return digits.length >= 13 && sum % 10 === 0;
}

export const email: Detector = {
  name: 'email',
  label: '[EMAIL]',
  pattern: /(?<![\w.+-])[\w.+-]{1,32}@[a-z0-9-]{1,20}(?:\.[a-z0-9-]{1,20}){1,3}(?![\w-])/gi,
  maxLength: 32 + 1 + 20 + 3 * 21,
};

export const card: Detector = {
  name: 'card',
  label: '[CARD]',
  pattern: /(?<!\d)(?:\d[ -]?){12,18}\d(?!\d)/g,
  maxLength: 19 + 18,
  validate: luhnValid,
};

/** A 'u' pattern over astral characters, to exercise surrogate pairs at cut points. */
export const keyTag: Detector = {
  name: 'key_tag',
  label: '[KEY]',
  pattern: /(?<!\p{L})🔑\p{L}{2,10}(?!\p{L})/gu,
  maxLength: 2 + 2 * 10,
};

export const TEST_DETECTORS: readonly Detector[] = [email, card, keyTag];
export const HASH_KEY = Buffer.from('0123456789abcdef0123456789abcdef');

export function profileOf(
  actions: Partial<Record<'email' | 'card' | 'key_tag', MaskAction>> = { email: 'redact', card: 'partial', key_tag: 'hash' },
  extra: Partial<Pick<MaskingProfile, 'fieldNames' | 'fieldPaths'>> = {},
): MaskingProfile {
  return {
    name: 'test',
    rules: TEST_DETECTORS.filter((d) => actions[d.name as keyof typeof actions] !== undefined).map((d) => ({
      detector: d,
      action: actions[d.name as keyof typeof actions]!,
    })),
    fieldNames: extra.fieldNames ?? [],
    fieldPaths: extra.fieldPaths ?? [],
    hashKey: HASH_KEY,
  };
}

function withLuhnDigit(body: string): string {
  for (let d = 0; d <= 9; d++) if (luhnValid(body + String(d))) return body + String(d);
  throw new Error('unreachable');
}

/** A Luhn-valid 16-digit card number starting with 4 (so it stays below 2^53 as a JSON number). */
export const cardNumber = fc.stringMatching(/^4[0-9]{14}$/).map(withLuhnDigit);
export const emailAddress = fc
  .tuple(fc.stringMatching(/^[a-z][a-z0-9.]{0,10}$/), fc.stringMatching(/^[a-z]{1,8}$/), fc.constantFrom('com', 'de', 'co.uk'))
  .map(([local, domain, tld]) => `${local}@${domain}.${tld}`);
export const keyTagValue = fc.stringMatching(/^[c-yç]{2,10}$/).map((s) => `🔑${s}`);
export const piiValue = fc.oneof(cardNumber, emailAddress, keyTagValue);

/** Filler that is hard on the scanner: digits, '@', dots, dashes, accents, emoji, newlines. */
export const fillerText = fc.string({
  unit: fc.constantFrom('a', 'b', 'Z', '1', '4', '9', ' ', '-', '.', '@', '+', '_', '\n', 'é', '€', '😀', '🔑', '"', '\\'),
  maxLength: 60,
});

/** Text with PII values at random places; each value is fenced by newlines, so it must be found. */
export const textWithPii = fc
  .tuple(fc.array(fc.tuple(fillerText, piiValue), { maxLength: 4 }), fillerText)
  .map(([pairs, tail]) => ({
    text: pairs.map(([filler, pii]) => `${filler}\n${pii}\n`).join('') + tail,
    pii: pairs.map(([, pii]) => pii),
  }));

/** Cuts `bytes` at the given offsets (sorted, deduplicated, within bounds). */
export function splitAt(bytes: Uint8Array, cuts: readonly number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((c) => Math.max(0, Math.min(bytes.length, c))))].sort((a, b) => a - b);
  const chunks: Uint8Array[] = [];
  let from = 0;
  for (const p of points) {
    chunks.push(bytes.subarray(from, p));
    from = p;
  }
  chunks.push(bytes.subarray(from));
  return chunks;
}
