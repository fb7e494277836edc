// Runs detectors over a text and settles overlaps, the way the maskers replace values.
import type { Detector } from '../types.js';

export interface DetectorMatch {
  readonly detector: Detector;
  readonly start: number;
  readonly end: number;
  readonly value: string;
}

// Private copies of the patterns: a `g` regex carries lastIndex, and the shared detector objects
// must not depend on (or disturb) whoever else happens to be scanning with them.
const scanners = new WeakMap<RegExp, RegExp>();

function scannerFor(pattern: RegExp): RegExp {
  let re = scanners.get(pattern);
  if (!re) {
    re = new RegExp(pattern.source, pattern.flags.includes('g') ? pattern.flags : `${pattern.flags}g`);
    scanners.set(pattern, re);
  }
  return re;
}

/** One position on, without splitting a surrogate pair under the u flag. */
function nextIndex(text: string, index: number, unicode: boolean): number {
  const code = text.charCodeAt(index);
  return unicode && code >= 0xd800 && code <= 0xdbff ? index + 2 : index + 1;
}

function candidates(text: string, detector: Detector, rank: number): (DetectorMatch & { rank: number })[] {
  const re = scannerFor(detector.pattern);
  const out: (DetectorMatch & { rank: number })[] = [];
  re.lastIndex = 0;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    const value = m[0];
    const start = m.index;
    // A rejected candidate may hide a valid one starting inside it, so resume one position on
    // rather than after it. Empty matches would loop forever; no detector should produce them.
    if (value === '' || (detector.validate !== undefined && !detector.validate(value))) {
      re.lastIndex = nextIndex(text, start, re.unicode);
      continue;
    }
    out.push({ detector, start, end: start + value.length, value, rank });
  }
  re.lastIndex = 0;
  return out;
}

/**
 * Every validated match, without overlaps: the earliest start wins, then the longest match,
 * then the detector listed first. Sorted by start.
 */
export function findMatches(text: string, detectors: readonly Detector[]): DetectorMatch[] {
  const all = detectors.flatMap((detector, rank) => candidates(text, detector, rank));
  all.sort((a, b) => a.start - b.start || b.end - a.end || a.rank - b.rank);
  const kept: DetectorMatch[] = [];
  let covered = 0;
  for (const { detector, start, end, value } of all) {
    if (start < covered) continue;
    kept.push({ detector, start, end, value });
    covered = end;
  }
  return kept;
}
