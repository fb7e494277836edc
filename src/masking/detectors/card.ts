// Payment card numbers (PANs). Luhn alone passes one random digit run in ten, so a candidate must
// also start with an issuer prefix (IIN) of a known scheme and have a length that scheme issues.
import type { Detector } from '../types.js';
import { compact, luhnValid } from './checksums.js';

interface Scheme {
  readonly name: string;
  /** Inclusive prefix ranges; both ends have the same number of digits. */
  readonly prefixes: readonly (readonly [string, string])[];
  readonly lengths: readonly number[];
}

const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);

// From the schemes' published IIN ranges as commonly tabulated (ISO/IEC 7812 numbering); ranges
// overlap between schemes in places, which is fine: any match is enough.
export const CARD_SCHEMES: readonly Scheme[] = [
  { name: 'visa', prefixes: [['4', '4']], lengths: [13, 16, 19] },
  { name: 'mastercard', prefixes: [['51', '55'], ['2221', '2720']], lengths: [16] },
  { name: 'amex', prefixes: [['34', '34'], ['37', '37']], lengths: [15] },
  { name: 'discover', prefixes: [['6011', '6011'], ['644', '649'], ['65', '65'], ['622126', '622925']], lengths: range(16, 19) },
  { name: 'diners', prefixes: [['300', '305'], ['3095', '3095'], ['36', '36'], ['38', '39']], lengths: range(14, 19) },
  { name: 'jcb', prefixes: [['3528', '3589']], lengths: range(16, 19) },
  { name: 'unionpay', prefixes: [['62', '62'], ['81', '81']], lengths: range(16, 19) },
  {
    name: 'maestro',
    prefixes: [['5018', '5018'], ['5020', '5020'], ['5038', '5038'], ['5893', '5893'], ['6304', '6304'], ['6759', '6759'], ['6761', '6763']],
    lengths: range(13, 19),
  },
  { name: 'mir', prefixes: [['2200', '2204']], lengths: range(16, 19) },
  { name: 'rupay', prefixes: [['60', '60'], ['508', '508'], ['353', '353'], ['356', '356'], ['82', '82']], lengths: [16] },
];

/** The scheme a PAN belongs to by prefix and length, or undefined. */
export function cardScheme(pan: string): string | undefined {
  for (const scheme of CARD_SCHEMES) {
    if (!scheme.lengths.includes(pan.length)) continue;
    const hit = scheme.prefixes.some(([lo, hi]) => {
      const prefix = pan.slice(0, lo.length);
      return prefix >= lo && prefix <= hi; // same-length digit strings compare numerically
    });
    if (hit) return scheme.name;
  }
  return undefined;
}

// 13–19 digits in one run, or the printed groupings: 4-4-4-4 (most schemes) and 4-6-5 / 4-6-4
// (Amex, Diners), with a single space or dash between groups. A 4-4-4-4-3 grouping is left
// out on purpose: it would swallow a CVV written after a 16-digit number and then fail Luhn.
export const card: Detector = {
  name: 'card',
  label: '[CARD]',
  pattern: /(?<![\w.+-])(?:\d{13,19}|\d{4}[ -]\d{6}[ -]\d{4,5}|\d{4}[ -]\d{4}[ -]\d{4}[ -]\d{4})(?![\w-])/g,
  maxLength: 19,
  validate(candidate) {
    const pan = compact(candidate);
    return pan.length >= 13 && pan.length <= 19 && luhnValid(pan) && cardScheme(pan) !== undefined;
  },
};
