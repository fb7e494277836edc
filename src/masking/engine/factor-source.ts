// How a factor (triggers.ts) is searched for: as a character-class regex, as a literal prefix for
// indexOf, and the ASCII membership table of the characters a match may consume.
import type { CharSet } from '../detectors/charset.js';
import { charRate, type Factor } from './factor-rate.js';

const hex = (cp: number, unicode: boolean): string => (unicode ? `\\u{${cp.toString(16)}}` : `\\u${cp.toString(16).padStart(4, '0')}`);

/** A character class matching the set (with the pattern's flags; under i it may match more, never less). */
export function classSource(set: CharSet, unicode: boolean): string {
  if (set.length === 0) return '[]';
  return `[${set.map(([lo, hi]) => (lo === hi ? hex(lo, unicode) : `${hex(lo, unicode)}-${hex(hi, unicode)}`)).join('')}]`;
}

/**
 * The leading single characters of a one-alternative factor, when indexOf can stand in for the
 * scan: a prefix of a factor is a factor too. Two characters at least, or one rare one.
 */
export function literalPrefix(factor: Factor, flags: string): string | undefined {
  if (factor.alts.length !== 1 || flags.includes('i')) return undefined;
  const codes: number[] = [];
  for (const set of factor.alts[0]!) {
    const [range, more] = set;
    if (more !== undefined || range === undefined || range[0] !== range[1]) break;
    codes.push(range[0]);
  }
  if (codes.length === 0 || (codes.length === 1 && charRate(codes[0]!) > 0.001)) return undefined;
  return String.fromCodePoint(...codes);
}

/** Membership by ASCII code; under the i flag both cases of a letter (and every letter if the set holds non-ASCII characters, which may fold to ASCII). */
export function asciiTable(set: CharSet, ignoreCase: boolean): Uint8Array {
  const table = new Uint8Array(128);
  for (const [lo, hi] of set) for (let cp = lo; cp <= Math.min(hi, 127); cp++) table[cp] = 1;
  if (ignoreCase) {
    const foldsToAscii = set.some(([, hi]) => hi > 127);
    for (let cp = 0x41; cp <= 0x5a; cp++) {
      if (table[cp] === 1 || table[cp + 32] === 1 || foldsToAscii) {
        table[cp] = 1;
        table[cp + 32] = 1;
      }
    }
  }
  return table;
}
