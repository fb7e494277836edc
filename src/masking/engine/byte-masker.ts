// The byte side of every streaming masker: incremental UTF-8 decoding (a character split across
// chunks waits for its other bytes), encoding of what is released, and fail-once semantics.
import { isAscii } from 'node:buffer';
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

export function encodeUtf8(text: string): Buffer {
  return text === '' ? EMPTY : Buffer.from(text, 'utf8');
}

/** A string-level masker wrapped into a StreamingMasker over bytes. */
export interface TextStage {
  readonly counts: MaskCounts;
  push(text: string): string;
  end(): string;
}

/**
 * Whether `bytes` (the last bytes the decoder accepted, at most three) end inside a character:
 * the last lead byte announces more bytes than follow it.
 */
function unfinished(bytes: readonly number[]): boolean {
  const n = bytes.length;
  for (let back = 1; back <= n; back++) {
    const b = bytes[n - back]!;
    if ((b & 0xc0) === 0x80) continue; // a continuation byte: the lead is further back
    const length = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
    return length > back;
  }
  return false;
}

export class ByteMasker implements StreamingMasker {
  private readonly decoder = newDecoder();
  /** The last (at most three) bytes given to the streaming decoder since it last held nothing. */
  private tail: number[] = [];
  private failure: unknown = undefined;
  private ended = false;

  constructor(private readonly stage: TextStage) {}

  get counts(): MaskCounts {
    return this.stage.counts;
  }

  push(chunk: Uint8Array): Buffer {
    return this.guard(() => {
      let text: string;
      if (this.tail.length === 0 && isAscii(chunk)) {
        // Plain ASCII (the common case) decodes as Latin-1, several times faster than the
        // streaming UTF-8 decoder, which would hold nothing back from it either.
        text = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength).toString('latin1');
      } else {
        try {
          text = this.decoder.decode(chunk, { stream: true });
        } catch {
          throw new MaskingError('the body is not valid UTF-8');
        }
        const tail = [...this.tail, ...chunk.subarray(Math.max(0, chunk.length - 3))].slice(-3);
        // Still inside a character: keep using the decoder until it is finished.
        this.tail = unfinished(tail) ? tail : [];
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
