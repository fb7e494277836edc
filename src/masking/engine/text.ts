// Masking a complete text body in one pass; the streaming masker gives the same output for any
// chunking because both run maskRange (matches.ts), this one with the whole text decided.
import type { MaskCounts, MaskingProfile } from '../types.js';
import { compileProfile } from './compile.js';
import { maskRange } from './matches.js';

export interface MaskedText {
  readonly text: string;
  readonly counts: MaskCounts;
}

/** Masks a complete string: every match of the profile's detectors is replaced by its action. */
export function maskText(text: string, profile: MaskingProfile): MaskedText {
  const counts: MaskCounts = {};
  return { text: maskRange(compileProfile(profile), text, 0, true, counts).output, counts };
}
