// Finds where a trail file begins and ends: the last whole line (its seq and hash, to continue the
// chain, and its kind, to know whether a checkpoint covers it) and any torn bytes after it that a
// crash left behind; and the first line's seq and ts, which name the file when it is rotated.
import type { FileHandle } from 'node:fs/promises';
import { lineHash, type ChainHead } from './chain.js';

export interface Tail {
  readonly last: ChainHead | undefined;
  readonly lastKind: string | undefined;
  readonly durableSize: number;
  readonly tornBytes: number;
}

const CHUNK = 64 * 1024;

export async function readTail(handle: FileHandle): Promise<Tail> {
  const { size } = await handle.stat();
  if (size === 0) return { last: undefined, lastKind: undefined, durableSize: 0, tornBytes: 0 };
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
      if (lastNl < 0) return { last: undefined, lastKind: undefined, durableSize: 0, tornBytes: size };
      const line = buf.subarray(prevNl + 1, lastNl);
      const durableSize = start + lastNl + 1;
      const { seq, kind } = parseLine(line, 'last');
      return { last: { seq, hash: lineHash(line) }, lastKind: kind, durableSize, tornBytes: size - durableSize };
    }
  }
}

/** The first whole line's seq and ts, or undefined if the file holds no whole line. */
export async function readFirstRecord(handle: FileHandle): Promise<{ seq: number; ts: string } | undefined> {
  let buf = Buffer.alloc(0);
  for (let pos = 0; ; pos += CHUNK) {
    const chunk = Buffer.alloc(CHUNK);
    const { bytesRead } = await handle.read(chunk, 0, CHUNK, pos);
    buf = Buffer.concat([buf, chunk.subarray(0, bytesRead)]);
    const nl = buf.indexOf(0x0a);
    if (nl >= 0) {
      const { seq, ts } = parseLine(buf.subarray(0, nl), 'first');
      return { seq, ts };
    }
    if (bytesRead < CHUNK) return undefined;
  }
}

function parseLine(line: Buffer, which: string): { seq: number; ts: string; kind: string | undefined } {
  let record: { seq?: unknown; ts?: unknown; kind?: unknown } = {};
  try {
    const parsed: unknown = JSON.parse(line.toString('utf8'));
    if (typeof parsed === 'object' && parsed !== null) record = parsed;
  } catch {
    // Reported below as a line without seq.
  }
  if (typeof record.seq !== 'number' || !Number.isSafeInteger(record.seq)) {
    throw new Error(`the ${which} line of the audit file has no numeric seq; run \`residency-gate audit verify\` on it`);
  }
  return { seq: record.seq, ts: typeof record.ts === 'string' ? record.ts : '', kind: typeof record.kind === 'string' ? record.kind : undefined };
}
