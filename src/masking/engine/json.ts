// Masking a complete JSON body: the streaming tokenizer run over the whole text, so the output is
// the streamed output by construction and formatting is preserved.
import type { MaskingProfile } from '../types.js';
import { compileProfile } from './compile.js';
import { JsonMaskingTokenizer, type JsonLimits } from './json-tokenizer.js';
import type { MaskedText } from './text.js';

/**
 * Masks string values (on their decoded content) and numbers that a detector matches, and
 * replaces whole values under the profile's field names and paths by "[REDACTED]". Throws
 * MaskingError if `text` is not valid JSON.
 */
export function maskJson(text: string, profile: MaskingProfile, limits?: JsonLimits): MaskedText {
  const tokenizer = new JsonMaskingTokenizer(compileProfile(profile), limits);
  const out = tokenizer.push(text) + tokenizer.end();
  return { text: out, counts: tokenizer.counts };
}
