// The masking engine's entry points for the ext_proc layer: a streaming masker per body, or one
// call for a body that is already buffered. Both give the same bytes for the same body.
import type { MaskCounts, MaskingProfile, StreamingMasker } from '../types.js';
import { decodeUtf8, encodeUtf8 } from './byte-masker.js';
import type { JsonLimits } from './json-tokenizer.js';
import { maskJson } from './json.js';
import { StreamingJsonMasker } from './streaming-json.js';
import { StreamingTextMasker } from './streaming-text.js';
import { maskText } from './text.js';

export type BodyKind = 'json' | 'text';

export { FIELD_REPLACEMENT, hashToken, partialMask } from './actions.js';
export { compileProfile } from './compile.js';
export type { JsonLimits } from './json-tokenizer.js';
export { maskJson } from './json.js';
export { parsePath, type FieldPath } from './paths.js';
export { StreamingJsonMasker } from './streaming-json.js';
export { StreamingTextMasker } from './streaming-text.js';
export { maskText, type MaskedText } from './text.js';

export function createStreamingMasker(profile: MaskingProfile, kind: BodyKind, limits?: JsonLimits): StreamingMasker {
  return kind === 'json' ? new StreamingJsonMasker(profile, limits) : new StreamingTextMasker(profile);
}

/** Masks a whole body; throws MaskingError for invalid UTF-8 or (kind 'json') invalid JSON. */
export function maskBuffered(body: Buffer, profile: MaskingProfile, kind: BodyKind, limits?: JsonLimits): { body: Buffer; counts: MaskCounts } {
  const text = decodeUtf8(body);
  const masked = kind === 'json' ? maskJson(text, profile, limits) : maskText(text, profile);
  return { body: encodeUtf8(masked.text), counts: masked.counts };
}
