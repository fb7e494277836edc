// The contract between detectors, maskers and the ext_proc layer. Pure: no gRPC, no Envoy.

/** Finds one kind of personal data in text. */
export interface Detector {
  /** Stable name used in config, counts and metrics: 'email', 'card', 'iban', 'de_tax_id', … */
  readonly name: string;
  /** The replacement for the `redact` action, e.g. '[EMAIL]'. */
  readonly label: string;
  /**
   * Candidate matches. Must have the `g` flag and run in linear time on hostile input (no nested
   * quantifiers over overlapping classes). Boundaries (what may precede or follow a match) belong
   * in the pattern, as lookarounds of at most one character, so streaming can reason about them.
   */
  readonly pattern: RegExp;
  /** The longest match this detector can produce, in UTF-16 code units; bounds the streaming hold-back. */
  readonly maxLength: number;
  /** Checksum or structure check on a candidate (Luhn, mod-97, check digits); false drops it. */
  validate?(candidate: string): boolean;
}

export type MaskAction = 'redact' | 'partial' | 'hash';

export interface MaskRule {
  readonly detector: Detector;
  readonly action: MaskAction;
}

export interface MaskingProfile {
  readonly name: string;
  readonly rules: readonly MaskRule[];
  /** JSON: every value under these keys is replaced whole, at any depth (case-insensitive). */
  readonly fieldNames: readonly string[];
  /** JSON: values at these paths are replaced whole ('$.customer.ssn', '$.items[*].email', '*.email'). */
  readonly fieldPaths: readonly string[];
  /** HMAC-SHA256 key for the `hash` action; required when any rule hashes. */
  readonly hashKey?: Buffer;
}

/** How many values were masked, by detector name (or 'field' for whole-field rules). */
export type MaskCounts = Record<string, number>;

/** Masks a body that arrives in chunks; memory stays bounded whatever the body's size. */
export interface StreamingMasker {
  /** Returns the bytes that can be released now (possibly empty: a held-back tail may still be a match). */
  push(chunk: Uint8Array): Buffer;
  /** Releases the rest; throws MaskingError if the body cannot be masked (e.g. invalid JSON). */
  end(): Buffer;
  readonly counts: MaskCounts;
}

export class MaskingError extends Error {
  override readonly name = 'MaskingError';
}
