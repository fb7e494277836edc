// Incremental decompression of a content-encoded body, chunk by chunk, so a compressed response
// can be masked as it streams. Each push flushes zlib so the output so far is available at once.
import { constants, createBrotliDecompress, createGunzip, createInflate, type Gunzip } from 'node:zlib';
import type { ContentCoding } from './body-kind.js';

export class BodyDecoder {
  private readonly stream: Gunzip;
  private output: Buffer[] = [];
  private failure: Error | undefined;

  constructor(coding: ContentCoding) {
    this.stream = coding === 'gzip' ? createGunzip() : coding === 'deflate' ? createInflate() : (createBrotliDecompress() as unknown as Gunzip);
    this.stream.on('data', (chunk: Buffer) => this.output.push(chunk));
    this.stream.on('error', (err: Error) => {
      this.failure = err;
    });
    this.flushKind = coding === 'br' ? constants.BROTLI_OPERATION_FLUSH : constants.Z_SYNC_FLUSH;
  }

  private readonly flushKind: number;

  push(chunk: Uint8Array): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      this.stream.write(chunk);
      this.stream.flush(this.flushKind, () => this.settle(resolve, reject));
    });
  }

  end(): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      this.stream.end(() => this.settle(resolve, reject));
      this.stream.once('error', () => this.settle(resolve, reject));
    });
  }

  private settle(resolve: (b: Buffer) => void, reject: (e: Error) => void): void {
    // Let zlib deliver its 'error' event (emitted on the next tick) before deciding.
    setImmediate(() => {
      if (this.failure) return reject(this.failure);
      const out = Buffer.concat(this.output);
      this.output = [];
      resolve(out);
    });
  }
}
