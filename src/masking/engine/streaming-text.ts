// Masking a text body that arrives in chunks. Only the tail that could still be (part of) a match
// is held back; everything before it is masked and released.
import type { MaskCounts, MaskingProfile } from '../types.js';
import { ByteMasker, type TextStage } from './byte-masker.js';
import { compileProfile, type CompiledProfile } from './compile.js';
import { contextBefore, maskRange } from './matches.js';

/**
 * The string-level core, also used inside long JSON strings. Holds at most maxLength characters
 * of undecided text (+1 when a surrogate pair straddles the cut) plus one code point of already
 * released context for lookbehind (profile.context units, one for most detectors): for BMP
 * text, heldChars <= maxLength + context.
 */
export class TextScanner implements TextStage {
  private context = '';
  private pending = '';

  constructor(
    private readonly profile: CompiledProfile,
    readonly counts: MaskCounts = {},
  ) {}

  /** Characters kept between calls: the undecided tail plus the lookbehind context. */
  get heldChars(): number {
    return this.context.length + this.pending.length;
  }

  push(text: string): string {
    if (text === '') return '';
    this.pending += text;
    return this.drain(false);
  }

  end(): string {
    const out = this.drain(true);
    this.context = '';
    return out;
  }

  private drain(final: boolean): string {
    const text = this.context + this.pending;
    const from = this.context.length;
    const { output, releasedTo } = maskRange(this.profile, text, from, final, this.counts);
    this.pending = text.slice(releasedTo);
    this.context = contextBefore(text, releasedTo, this.profile.context);
    return output;
  }
}

/** A StreamingMasker for text bodies; `heldChars` is exposed for the memory-bound tests. */
export class StreamingTextMasker extends ByteMasker {
  private readonly scanner: TextScanner;

  constructor(profile: MaskingProfile) {
    const scanner = new TextScanner(compileProfile(profile));
    super(scanner);
    this.scanner = scanner;
  }

  get heldChars(): number {
    return this.scanner.heldChars;
  }
}
