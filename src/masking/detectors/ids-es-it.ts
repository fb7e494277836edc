// Spanish DNI and NIE numbers and the Italian codice fiscale.
import type { Detector } from '../types.js';

/** The DNI/NIE control letter is this table indexed by the number mod 23. */
const DNI_LETTERS = 'TRWAGMYFPDXBNJZSQVHLCKE';

const controlLetter = (n: number): string => DNI_LETTERS[n % 23] ?? '';

// The letters the table uses: no I, Ñ, O or U (they look like digits or each other).
const CONTROL = '[A-HJ-NP-TV-Za-hj-np-tv-z]';

export const esDni: Detector = {
  name: 'es_dni',
  label: '[ES_DNI]',
  // '12345678Z', '12345678-Z', '12345678 Z'.
  pattern: new RegExp(String.raw`(?<![\w.+-])\d{8}[ -]?${CONTROL}(?!\w)`, 'g'),
  maxLength: 10,
  validate(candidate) {
    return controlLetter(Number(candidate.slice(0, 8))) === candidate.slice(-1).toUpperCase();
  },
};

export const esNie: Detector = {
  name: 'es_nie',
  label: '[ES_NIE]',
  // Foreigners' numbers: X, Y or Z (standing for 0, 1, 2) + seven digits + the same letter table.
  pattern: new RegExp(String.raw`(?<![\w.+-])[XYZxyz][ -]?\d{7}[ -]?${CONTROL}(?!\w)`, 'g'),
  maxLength: 11,
  validate(candidate) {
    const nie = candidate.replace(/[ -]/g, '').toUpperCase();
    const number = Number(String('XYZ'.indexOf(nie[0] ?? '')) + nie.slice(1, 8));
    return controlLetter(number) === nie[8];
  },
};

// Codice fiscale: surname (3 letters), name (3), year (2 digits), month (letter), day (2 digits,
// +40 for women), birthplace (letter + 3 digits), check letter. When two people would get the same
// code, digits from the right are replaced by L M N P Q R S T U V for 0–9 ("omocodia"), so every
// digit position accepts those letters too.
const OMOCODIA = 'LMNPQRSTUV';
const D = '[0-9LMNP-Vlmnp-v]';
const L = '[A-Za-z]';
const MONTHS = '[ABCDEHLMPRSTabcdehlmprst]';

// Values of a character in an odd (1st, 3rd, …) position; digits share the values of A–J.
const ODD = [1, 0, 5, 7, 9, 13, 15, 17, 19, 21, 2, 4, 18, 20, 11, 3, 6, 8, 12, 14, 16, 10, 22, 25, 24, 23];

/** 0–25 for A–Z and 0–9 for digits, the base both tables are indexed by. */
function ordinal(c: string): number {
  const code = c.charCodeAt(0);
  return code <= 57 ? code - 48 : code - 65;
}

export function codiceFiscaleCheck(first15: string): string {
  let sum = 0;
  for (let i = 0; i < 15; i++) {
    const v = ordinal(first15[i] ?? 'A');
    sum += i % 2 === 0 ? (ODD[v] ?? 0) : v;
  }
  return String.fromCharCode(65 + (sum % 26));
}

function codiceFiscaleValid(candidate: string): boolean {
  const cf = candidate.toUpperCase();
  const dayText = cf.slice(9, 11).replace(/[L-V]/g, (c) => String(OMOCODIA.indexOf(c)));
  const day = Number(dayText);
  if (!((day >= 1 && day <= 31) || (day >= 41 && day <= 71))) return false;
  return codiceFiscaleCheck(cf.slice(0, 15)) === cf[15];
}

export const itCodiceFiscale: Detector = {
  name: 'it_codice_fiscale',
  label: '[IT_CF]',
  pattern: new RegExp(String.raw`(?<!\w)${L}{6}${D}{2}${MONTHS}${D}{2}${L}${D}{3}${L}(?!\w)`, 'g'),
  maxLength: 16,
  validate: codiceFiscaleValid,
};
