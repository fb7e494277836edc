// Check-digit arithmetic shared by the detectors. Inputs are already stripped of separators;
// every function returns false (never throws) on characters it does not expect.

const DIGITS = /^\d+$/;

/** Luhn (mod 10), used by payment cards. */
export function luhnValid(digits: string): boolean {
  if (!DIGITS.test(digits)) return false;
  let sum = 0;
  for (let i = digits.length - 1, double = false; i >= 0; i--, double = !double) {
    let d = digits.charCodeAt(i) - 48;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

/**
 * The remainder of a long decimal number modulo 97, digit by digit: IBANs (34 chars, letters
 * expanded to two digits) and French NIRs (13 digits) are far beyond Number's exact range.
 */
export function mod97(digits: string): number {
  let rest = 0;
  for (let i = 0; i < digits.length; i++) {
    const d = digits.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return Number.NaN;
    rest = (rest * 10 + d) % 97;
  }
  return rest;
}

/** ISO 7064 MOD 11,10: the check digit for the leading digits (German Steuer-IdNr). */
export function iso7064Mod11_10(digits: string): number {
  let product = 10;
  for (let i = 0; i < digits.length; i++) {
    let sum = (digits.charCodeAt(i) - 48 + product) % 10;
    if (sum === 0) sum = 10;
    product = (sum * 2) % 11;
  }
  const check = 11 - product;
  return check === 10 ? 0 : check;
}

/** Σ digit[i] × weights[i]; the caller checks lengths. */
export function weightedSum(digits: string, weights: readonly number[]): number {
  let sum = 0;
  for (let i = 0; i < weights.length; i++) sum += (digits.charCodeAt(i) - 48) * (weights[i] ?? 0);
  return sum;
}

/** Drops the separators detectors allow inside a value (space, dash, dot, slash, parentheses). */
export function compact(value: string): string {
  return value.replace(/[\s.\-/()]/g, '');
}

/** A real calendar date (proleptic Gregorian); month is 1-based. */
export function isCalendarDate(year: number, month: number, day: number): boolean {
  if (month < 1 || month > 12 || day < 1) return false;
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  const days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1] ?? 0;
  return day <= days;
}
