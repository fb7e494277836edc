// US Social Security numbers, UK National Insurance numbers and NHS numbers.
import type { Detector } from '../types.js';
import { compact, weightedSum } from './checksums.js';

/** SSA rules: area 000, 666 and 900–999, group 00 and serial 0000 are never issued. */
function ssnValid(candidate: string): boolean {
  const [area = '', group = '', serial = ''] = candidate.split('-');
  return area !== '000' && area !== '666' && area[0] !== '9' && group !== '00' && serial !== '0000';
}

export const usSsn: Detector = {
  name: 'us_ssn',
  label: '[SSN]',
  // Dashed only: an undashed nine-digit run is far more often an order or account number.
  pattern: /(?<![\w.+-])\d{3}-\d{2}-\d{4}(?![\w-])/g,
  maxLength: 11,
  validate: ssnValid,
};

// HMRC: neither letter is D, F, I, Q, U or V, the second is not O (both in the classes below),
// and a few pairs were never issued or are reserved for administration.
const NINO_EXCLUDED = new Set(['BG', 'GB', 'NK', 'KN', 'TN', 'NT', 'ZZ']);

export const ukNino: Detector = {
  name: 'uk_nino',
  label: '[NINO]',
  // 'QQ123456C' or 'QQ 12 34 56 C'; the suffix is A–D.
  pattern: /(?<!\w)[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z] ?\d{2} ?\d{2} ?\d{2} ?[A-D](?!\w)/g,
  maxLength: 13,
  validate: (candidate) => !NINO_EXCLUDED.has(candidate.slice(0, 2)),
};

const NHS_WEIGHTS = [10, 9, 8, 7, 6, 5, 4, 3, 2];

/** Modulus 11 over the first nine digits; a remainder giving 10 means no valid number. */
export function nhsCheckDigit(first9: string): number | undefined {
  const check = 11 - (weightedSum(first9, NHS_WEIGHTS) % 11);
  if (check === 10) return undefined;
  return check === 11 ? 0 : check;
}

function nhsValid(candidate: string): boolean {
  const digits = compact(candidate);
  // One ten-digit run in eleven passes the checksum; unspaced runs starting 0–2 are mostly Unix
  // timestamps and counters. Issued English/Welsh numbers start 4–9 (Scottish CHI numbers,
  // which begin with a birth date, are still caught when written 3-3-4).
  if (digits === candidate && digits[0] !== undefined && digits[0] < '3') return false;
  return nhsCheckDigit(digits.slice(0, 9)) === Number(digits[9]);
}

export const ukNhs: Detector = {
  name: 'uk_nhs',
  label: '[NHS]',
  pattern: /(?<![\w.+-])\d{3} ?\d{3} ?\d{4}(?![\w-])/g,
  maxLength: 12,
  validate: nhsValid,
};
