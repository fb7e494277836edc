// Masking a complete text body (or one JSON string value) in one pass.
import type { MaskCounts, MaskingProfile } from '../types.js';
import { compileProfile, type CompiledProfile } from './compile.js';
import { maskRange } from './matches.js';

export interface MaskedText {
  readonly text: string;
  readonly counts: MaskCounts;
}

/** Masks `text` with a compiled profile, adding to `counts`. */
export function maskCompiledText(profile: CompiledProfile, text: string, counts: MaskCounts): string {
  return maskRange(profile, text, 0, true, counts).output;
}

/** Masks a complete string: every match of the profile's detectors is replaced by its action. */
export function maskText(text: string, profile: MaskingProfile): MaskedText {
  const counts: MaskCounts = {};
  return { text: maskCompiledText(compileProfile(profile), text, counts), counts };
}
