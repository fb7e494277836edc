// One JSON string value on its way through the masker. Detection runs on the DECODED value.
//
// Up to `maxStringChars` characters of source text, the value is held whole: if nothing matches,
// its source text goes out unchanged (escapes as written); if something matches, the masked value
// is re-encoded with JSON.stringify. A longer value switches, at the moment its source passes the
// limit, to streaming: the decoded text runs through a TextScanner and is re-encoded as it is
// released. Which form a value gets depends only on its length, never on the chunking, so
// buffered and streamed output stay identical.
import type { MaskCounts } from '../types.js';
import type { CompiledProfile } from './compile.js';
import { maskValue } from './matches.js';
import { TextScanner } from './streaming-text.js';

/** Decoded text is handed to a long value's scanner in pieces of about this size. */
const SCANNER_BATCH = 64 * 1024;

/** JSON string content for `text`, without the quotes. */
export function escapeJsonText(text: string): string {
  return JSON.stringify(text).slice(1, -1);
}

export class JsonStringValue {
  private raw = '';
  private decoded = '';
  private scanner: TextScanner | undefined;

  constructor(
    private readonly profile: CompiledProfile,
    private readonly counts: MaskCounts,
    private readonly maxStringChars: number,
  ) {}

  get heldChars(): number {
    return this.raw.length + this.decoded.length + (this.scanner?.heldChars ?? 0);
  }

  /** Adds source text and its decoded form; returns what can be written now. */
  append(raw: string, decoded: string): string {
    this.decoded += decoded;
    if (this.scanner !== undefined) {
      return this.decoded.length >= SCANNER_BATCH ? this.flush() : '';
    }
    this.raw += raw;
    if (this.raw.length <= this.maxStringChars) return '';
    this.raw = '';
    this.scanner = new TextScanner(this.profile, this.counts);
    return `"${this.flush()}`;
  }

  /** Called at the end of each pushed chunk: a long value releases what it can. */
  flush(): string {
    if (this.scanner === undefined || this.decoded === '') return '';
    const out = escapeJsonText(this.scanner.push(this.decoded));
    this.decoded = '';
    return out;
  }

  /**
   * The closing quote was read: returns the rest of the value, quotes included, or null when the
   * value is short and nothing matched, so its source text stands as written (see quotedRaw).
   */
  close(): string | null {
    if (this.scanner !== undefined) {
      const out = escapeJsonText(this.scanner.push(this.decoded) + this.scanner.end());
      this.decoded = '';
      return `${out}"`;
    }
    const masked = maskValue(this.profile, this.decoded, this.counts);
    return masked === null ? null : JSON.stringify(masked);
  }

  /** The value as written, for a short value that close() left unchanged. */
  quotedRaw(): string {
    return `"${this.raw}"`;
  }
}
