// Reads a trail file line by line as bytes, streaming, so a file of any size fits in memory.
// Not node:readline: verify hashes each line's exact bytes, must split on "\n" only (readline
// also splits on a lone "\r"), and must know whether the last line ended with a newline (a torn
// write) — readline hides all three.
import { createReadStream } from 'node:fs';

export interface RawLine {
  readonly bytes: Buffer;
  /** 1-based. */
  readonly number: number;
  /** False only for a last line with no newline after it. */
  readonly terminated: boolean;
}

/** A line longer than any record the writer makes; reading stops rather than buffer it. */
export class LineTooLongError extends Error {
  constructor(readonly lineNumber: number, limit: number) {
    super(`line ${lineNumber} is longer than ${limit} bytes: not an audit record`);
  }
}

const MAX_LINE_BYTES = 16 * 1024 * 1024;

export async function* readRawLines(file: string, maxLineBytes = MAX_LINE_BYTES, chunkBytes = 256 * 1024): AsyncGenerator<RawLine> {
  let carry: Buffer = Buffer.alloc(0);
  let number = 0;
  for await (const chunk of createReadStream(file, { highWaterMark: chunkBytes }) as AsyncIterable<Buffer>) {
    const buf = carry.length > 0 ? Buffer.concat([carry, chunk]) : chunk;
    let start = 0;
    for (let nl = buf.indexOf(0x0a); nl !== -1; nl = buf.indexOf(0x0a, start)) {
      yield { bytes: buf.subarray(start, nl), number: ++number, terminated: true };
      start = nl + 1;
    }
    carry = buf.subarray(start);
    if (carry.length > maxLineBytes) throw new LineTooLongError(number + 1, maxLineBytes);
  }
  if (carry.length > 0) yield { bytes: carry, number: number + 1, terminated: false };
}

/** A line source that can look ahead, for telling a deleted line from a moved one. */
export class LineCursor {
  private readonly ahead: RawLine[] = [];
  private done = false;

  constructor(private readonly source: AsyncIterator<RawLine>) {}

  async next(): Promise<RawLine | undefined> {
    const buffered = this.ahead.shift();
    if (buffered !== undefined) return buffered;
    return this.pull();
  }

  /** The line `offset` places after the one last returned by next(), without consuming it. */
  async peek(offset: number): Promise<RawLine | undefined> {
    while (this.ahead.length <= offset && !this.done) {
      const line = await this.pull();
      if (line === undefined) break;
      this.ahead.push(line);
    }
    return this.ahead[offset];
  }

  async close(): Promise<void> {
    await this.source.return?.();
  }

  private async pull(): Promise<RawLine | undefined> {
    if (this.done) return undefined;
    const result = await this.source.next();
    if (result.done === true) {
      this.done = true;
      return undefined;
    }
    return result.value;
  }
}
