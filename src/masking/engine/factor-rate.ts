// How selective a factor is (triggers.ts): expected occurrences per character of request-body
// text, and the pick of the most selective among the factors a pattern offers.
import type { CharSet } from '../detectors/charset.js';

/**
 * Sequences of character classes (alternatives) one of which every match contains, starting
 * `lo`..`hi` code units after the match's start.
 */
export interface Factor {
  readonly alts: readonly (readonly CharSet[])[];
  readonly lo: number;
  readonly hi: number;
}

// Rough share of each character in request bodies (prose, JSON, ids); only the ranking matters.
export function charRate(cp: number): number {
  if (cp === 0x20) return 0.12;
  if (cp >= 0x61 && cp <= 0x7a) return 0.025;
  if (cp >= 0x30 && cp <= 0x39) return 0.008;
  if (cp >= 0x41 && cp <= 0x5a) return 0.0015;
  if (cp === 0x22 || cp === 0x2c || cp === 0x2e || cp === 0x0a) return 0.01;
  if (cp === 0x3a || cp === 0x2d || cp === 0x5f || cp === 0x2f || cp === 0x7b || cp === 0x7d) return 0.004;
  if (cp < 0x80) return 0.001;
  return 0.000001;
}

function setRate(set: CharSet): number {
  let rate = 0;
  for (const [lo, hi] of set) {
    const asciiHi = Math.min(hi, 0x7f);
    for (let cp = lo; cp <= asciiHi; cp++) rate += charRate(cp);
    if (hi > 0x7f) rate += (hi - Math.max(lo, 0x80) + 1) * 0.000001;
  }
  return Math.min(rate, 1);
}

const overlaps = (a: CharSet, b: CharSet): boolean => a.some(([alo, ahi]) => b.some(([blo, bhi]) => alo <= bhi && blo <= ahi));

/** Expected occurrences per character; neighbouring classes that overlap are assumed to cluster. */
export function factorRate(alts: readonly (readonly CharSet[])[]): number {
  let total = 0;
  for (const classes of alts) {
    let rate = 1;
    classes.forEach((set, i) => {
      const r = setRate(set);
      rate *= i > 0 && overlaps(set, classes[i - 1]!) ? Math.sqrt(r) : r;
    });
    total += rate;
  }
  return Math.min(total, 1);
}

function score(f: Factor): number {
  return factorRate(f.alts) * (1 + (f.hi - f.lo) / 64);
}

/** The most selective factor; `placed`: only those with a bounded offset, and the window counts. */
export function best(factors: readonly Factor[], placed = true): Factor | undefined {
  let pick: Factor | undefined;
  let pickScore = Infinity;
  for (const f of factors) {
    if ((placed && !Number.isFinite(f.hi)) || f.alts.length === 0 || f.alts.some((a) => a.length === 0)) continue;
    const s = placed ? score(f) : factorRate(f.alts);
    if (s < pickScore) {
      pick = f;
      pickScore = s;
    }
  }
  return pick;
}
