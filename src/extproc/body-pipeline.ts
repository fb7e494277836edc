// One direction of a body's way through ext_proc: hash what arrives, decode it where it is
// compressed and must be masked, mask it, hash what leaves. Memory stays bounded: the decoder and
// the masker each hold back only what they must.
import { createHash, type Hash } from 'node:crypto';
import { createStreamingMasker } from '../masking/engine/index.js';
import type { MaskCounts, MaskingProfile, StreamingMasker } from '../masking/types.js';
import type { BodyKind, ContentCoding } from './body-kind.js';
import { BodyDecoder } from './decoder.js';

// Envoy may hand over a megabyte at once. Masking it in slices keeps every string and match the
// masker makes small enough for V8's young generation; whole-chunk strings would land in the
// large-object space, which only a full GC frees, and RSS would climb with the body's size.
const SLICE_BYTES = 16 * 1024;

export interface BodySummary {
  readonly sha256_received: string;
  readonly sha256_delivered: string;
  readonly bytes_received: number;
  readonly bytes_delivered: number;
}

export class BodyPipeline {
  private readonly received: Hash = createHash('sha256');
  private readonly delivered: Hash = createHash('sha256');
  private bytesReceived = 0;
  private bytesDelivered = 0;
  private readonly decoder: BodyDecoder | undefined;
  private readonly masker: StreamingMasker | undefined;

  /** `profile` null: the bytes pass as they are, only hashed. */
  constructor(profile: MaskingProfile | null, kind: Exclude<BodyKind, 'binary'> | 'binary', coding: ContentCoding | null) {
    if (profile !== null) {
      if (kind === 'binary') throw new Error('a binary body cannot be masked');
      this.masker = createStreamingMasker(profile, kind);
      this.decoder = coding === null ? undefined : new BodyDecoder(coding);
    }
  }

  /** Whether the bytes delivered may differ from those received. */
  get mutates(): boolean {
    return this.masker !== undefined;
  }

  get counts(): MaskCounts {
    return this.masker?.counts ?? {};
  }

  /** Takes one chunk (the last one with `end`), returns what may go on now. Throws if it cannot be masked. */
  async push(chunk: Uint8Array, end: boolean): Promise<Buffer> {
    this.received.update(chunk);
    this.bytesReceived += chunk.length;
    if (!this.masker) return this.deliver(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length));
    const plain = this.decoder ? Buffer.concat([await this.decoder.push(chunk), end ? await this.decoder.end() : Buffer.alloc(0)]) : chunk;
    const out: Buffer[] = [];
    for (let at = 0; at < plain.length; at += SLICE_BYTES) out.push(this.masker.push(plain.subarray(at, at + SLICE_BYTES)));
    if (end) out.push(this.masker.end());
    return this.deliver(out.length === 1 ? (out[0] as Buffer) : Buffer.concat(out));
  }

  summary(): BodySummary {
    return {
      sha256_received: this.received.copy().digest('hex'),
      sha256_delivered: this.delivered.copy().digest('hex'),
      bytes_received: this.bytesReceived,
      bytes_delivered: this.bytesDelivered,
    };
  }

  private deliver(bytes: Buffer): Buffer {
    this.delivered.update(bytes);
    this.bytesDelivered += bytes.length;
    return bytes;
  }
}
