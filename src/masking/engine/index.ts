// The masking engine's entry points for the ext_proc layer: a streaming masker per body, or one
// call for a body that is already buffered. Both give the same bytes for the same body.
import { isUtf8 } from 'node:buffer';
import type { MaskCounts, MaskingProfile, StreamingMasker } from '../types.js';
import { MaskingError } from '../types.js';
import type { JsonLimits } from './json-tokenizer.js';
import { StreamingJsonMasker } from './streaming-json.js';
import { StreamingTextMasker } from './streaming-text.js';

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

/**
 * A buffered body is masked by the streaming masker in slices of this many bytes: the output is
 * the same by construction (streamed output equals buffered output for any chunking), and the
 * working set stays small (one slice's text, not a decoded copy of the whole body and its masked
 * copy, which cost more to build and collect than the slicing does).
 */
const BUFFERED_SLICE = 64 * 1024;

/** Masks a whole body; throws MaskingError for invalid UTF-8 or (kind 'json') invalid JSON. */
export function maskBuffered(body: Buffer, profile: MaskingProfile, kind: BodyKind, limits?: JsonLimits): { body: Buffer; counts: MaskCounts } {
  // Invalid UTF-8 anywhere is reported first, as when the body was decoded whole.
  if (!isUtf8(body)) throw new MaskingError('the body is not valid UTF-8');
  const masker = createStreamingMasker(profile, kind, limits);
  const out: Buffer[] = [];
  for (let at = 0; at < body.length; at += BUFFERED_SLICE) out.push(masker.push(body.subarray(at, at + BUFFERED_SLICE)));
  out.push(masker.end());
  return { body: Buffer.concat(out), counts: masker.counts };
}
