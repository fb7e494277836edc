// Masking a JSON body that arrives in chunks, with memory bounded by the limits in JsonLimits
// (one string value up to maxStringChars, one number, one key, the container stack) whatever the
// body's size.
import type { MaskingProfile } from '../types.js';
import { ByteMasker } from './byte-masker.js';
import { compileProfile } from './compile.js';
import { JsonMaskingTokenizer, type JsonLimits } from './json-tokenizer.js';

export class StreamingJsonMasker extends ByteMasker {
  private readonly tokenizer: JsonMaskingTokenizer;

  constructor(profile: MaskingProfile, limits?: JsonLimits) {
    const tokenizer = new JsonMaskingTokenizer(compileProfile(profile), limits);
    super(tokenizer);
    this.tokenizer = tokenizer;
  }

  /** Characters held between chunks; exposed for the memory-bound tests. */
  get heldChars(): number {
    return this.tokenizer.heldChars;
  }
}
