// German tax identification numbers and French social security numbers (NIR).
import type { Detector } from '../types.js';
import { compact, iso7064Mod11_10, mod97 } from './checksums.js';

/**
 * The Steuer-IdNr digit rule: among the first ten digits exactly one digit repeats, twice or
 * (since 2016) three times but then not all three in a row; every other digit appears once.
 */
function steuerIdDigitsValid(first10: string): boolean {
  const counts = new Map<string, number>();
  for (const d of first10) counts.set(d, (counts.get(d) ?? 0) + 1);
  const repeated = [...counts].filter(([, n]) => n > 1);
  if (repeated.length !== 1) return false;
  const [digit, times] = repeated[0] as [string, number];
  if (times > 3) return false;
  return times === 2 || !first10.includes(digit.repeat(3));
}

export function deTaxIdValid(candidate: string): boolean {
  const digits = compact(candidate);
  if (!/^[1-9]\d{10}$/.test(digits)) return false;
  const first10 = digits.slice(0, 10);
  return steuerIdDigitsValid(first10) && iso7064Mod11_10(first10) === Number(digits[10]);
}

export const deTaxId: Detector = {
  name: 'de_tax_id',
  label: '[DE_TAX_ID]',
  // Eleven digits, first not 0; also as printed on letters, '12 345 678 901'.
  pattern: /(?<![\w.+-])[1-9]\d ?\d{3} ?\d{3} ?\d{3}(?![\w-])/g,
  maxLength: 14,
  validate: deTaxIdValid,
};

/**
 * Sex (1, 2; 3, 4, 7, 8 for provisional numbers), year, month, département, commune, order,
 * and a key 97 − (first 13 digits mod 97). Corsica's 2A and 2B count as 19 and 18.
 */
export function frNirValid(candidate: string): boolean {
  const nir = compact(candidate).toUpperCase();
  if (!/^[1-478]\d{4}(?:\d{2}|2[AB])\d{8}$/.test(nir)) return false;
  // Months 20–42 and 50–99 stand for an unknown or fictitious month; 00 and 13–19 never occur.
  const month = Number(nir.slice(3, 5));
  if (month === 0 || (month > 12 && month < 20)) return false;
  const body = nir.slice(0, 13).replace('2A', '19').replace('2B', '18');
  return 97 - mod97(body) === Number(nir.slice(13));
}

export const frNir: Detector = {
  name: 'fr_nir',
  label: '[FR_NIR]',
  // '1 84 12 76 451 089 46' or unspaced. Overseas départements have three digits and then a
  // two-digit commune ('… 971 23 …'), hence the second branch.
  pattern: /(?<![\w.+-])[1-478] ?\d{2} ?\d{2} ?(?:(?:\d{2}|2[ABab]) ?\d{3}|9[78]\d ?\d{2}) ?\d{3} ?\d{2}(?![\w-])/g,
  maxLength: 21,
  validate: frNirValid,
};
