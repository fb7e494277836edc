// Dutch citizen service numbers (BSN) and Polish PESEL numbers.
import type { Detector } from '../types.js';
import { isCalendarDate, weightedSum } from './checksums.js';

/** The "11-proef": weights 9…2 and −1 on the last digit; the sum is a non-zero multiple of 11. */
export function bsnValid(digits: string): boolean {
  const sum = weightedSum(digits, [9, 8, 7, 6, 5, 4, 3, 2, -1]);
  return /^\d{9}$/.test(digits) && sum !== 0 && sum % 11 === 0;
}

export const nlBsn: Detector = {
  name: 'nl_bsn',
  label: '[NL_BSN]',
  // Nine digits in one run. The 11-proef still passes one random run in eleven; the boundary
  // at least keeps it off pieces of longer numbers.
  pattern: /(?<![\w.+-])\d{9}(?![\w-])/g,
  maxLength: 9,
  validate: bsnValid,
};

const PESEL_WEIGHTS = [1, 3, 7, 9, 1, 3, 7, 9, 1, 3];

/** The month carries the century: +0 for 1900s, +20 for 2000s, +40, +60 for 2100s, 2200s, +80 for 1800s. */
function peselBirthDate(digits: string): { year: number; month: number; day: number } {
  const yy = Number(digits.slice(0, 2));
  const mm = Number(digits.slice(2, 4));
  const century = [1900, 2000, 2100, 2200, 1800][Math.floor(mm / 20)] ?? 0;
  return { year: century + yy, month: mm % 20, day: Number(digits.slice(4, 6)) };
}

export function peselValid(digits: string): boolean {
  if (!/^\d{11}$/.test(digits)) return false;
  const check = (10 - (weightedSum(digits, PESEL_WEIGHTS) % 10)) % 10;
  const { year, month, day } = peselBirthDate(digits);
  return check === Number(digits[10]) && isCalendarDate(year, month, day);
}

export const plPesel: Detector = {
  name: 'pl_pesel',
  label: '[PL_PESEL]',
  // YYMMDD, a three-digit serial, a digit whose parity is the sex, a check digit.
  pattern: /(?<![\w.+-])\d{11}(?![\w-])/g,
  maxLength: 11,
  validate: peselValid,
};
