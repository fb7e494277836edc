// Finds where a trail ends: the last whole line (its seq and hash, to continue the chain) and any
// torn bytes after it that a crash left behind.
import type { FileHandle } from 'node:fs/promises';
import { lineHash, type ChainHead } from './chain.js';

export interface Tail {
  readonly last: ChainHead | undefined;
  readonly durableSize: number;
  readonly tornBytes: number;
}

const CHUNK = 64 * 1024;

export async function readTail(handle: FileHandle): Promise<Tail> {
  const { size } = await handle.stat();
  if (size === 0) return { last: undefined, durableSize: 0, tornBytes: 0 };
  // Read backwards until two newlines (or the start) bound the last whole line.
  let start = size;
  let buf = Buffer.alloc(0);
  for (;;) {
    const from = Math.max(0, start - CHUNK);
    const chunk = Buffer.alloc(start - from);
    await handle.read(chunk, 0, chunk.length, from);
    buf = Buffer.concat([chunk, buf]);
    start = from;
    const lastNl = buf.lastIndexOf(0x0a);
    const prevNl = lastNl > 0 ? buf.lastIndexOf(0x0a, lastNl - 1) : -1;
    if (prevNl >= 0 || start === 0) {
      if (lastNl < 0) return { last: undefined, durableSize: 0, tornBytes: size };
      const line = buf.subarray(prevNl + 1, lastNl);
      const durableSize = start + lastNl + 1;
      const seq = parseSeq(line);
      return { last: { seq, hash: lineHash(line) }, durableSize, tornBytes: size - durableSize };
    }
  }
}

function parseSeq(line: Buffer): number {
  const record = JSON.parse(line.toString('utf8')) as { seq?: unknown };
  if (typeof record.seq !== 'number' || !Number.isSafeInteger(record.seq)) {
    throw new Error('the last line of the audit file has no numeric seq; run `residency-gate audit verify` on it');
  }
  return record.seq;
}
