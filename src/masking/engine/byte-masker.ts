// The byte side of every streaming masker: incremental UTF-8 decoding (a character split across
// chunks waits for its other bytes), encoding of what is released, and fail-once semantics.
import { TextDecoder } from 'node:util';
import type { MaskCounts, StreamingMasker } from '../types.js';
import { MaskingError } from '../types.js';

const EMPTY = Buffer.alloc(0);

/**
 * Invalid UTF-8 is an error, not U+FFFD: replacing bytes would alter a body we claim to pass
 * through, and the caller blocks what cannot be masked. A BOM is kept, as any other character.
 */
function newDecoder(): TextDecoder {
  return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
}

export function decodeUtf8(body: Uint8Array): string {
  try {
    return newDecoder().decode(body);
  } catch {
    throw new MaskingError('the body is not valid UTF-8');
  }
}

export function encodeUtf8(text: string): Buffer {
  return text === '' ? EMPTY : Buffer.from(text, 'utf8');
}

/** A string-level masker wrapped into a StreamingMasker over bytes. */
export interface TextStage {
  readonly counts: MaskCounts;
  push(text: string): string;
  end(): string;
}

export class ByteMasker implements StreamingMasker {
  private readonly decoder = newDecoder();
  private failure: unknown = undefined;
  private ended = false;

  constructor(private readonly stage: TextStage) {}

  get counts(): MaskCounts {
    return this.stage.counts;
  }

  push(chunk: Uint8Array): Buffer {
    return this.guard(() => {
      let text: string;
      try {
        text = this.decoder.decode(chunk, { stream: true });
      } catch {
        throw new MaskingError('the body is not valid UTF-8');
      }
      return encodeUtf8(this.stage.push(text));
    });
  }

  end(): Buffer {
    return this.guard(() => {
      let rest: string;
      try {
        rest = this.decoder.decode();
      } catch {
        throw new MaskingError('the body ends inside a UTF-8 character');
      }
      const out = this.stage.push(rest) + this.stage.end();
      this.ended = true;
      return encodeUtf8(out);
    });
  }

  /** After a failure the masker stays failed: its state no longer describes the body. */
  private guard(step: () => Buffer): Buffer {
    if (this.failure !== undefined) throw this.failure;
    if (this.ended) throw new Error('the masker has already ended');
    try {
      return step();
    } catch (err) {
      this.failure = err;
      throw err;
    }
  }
}
