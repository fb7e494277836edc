// Where a restarted writer picks the trail up: the live file's last whole line, or, when the live
// file is empty (the process stopped right after a rotation), the last line of the newest rotated
// file, so the chain and the sequence carry on across restarts and rotations alike.
import { open, type FileHandle } from 'node:fs/promises';
import type { ChainHead } from './chain.js';
import { GENESIS_HASH } from './record.js';
import { listRotated } from './rotation.js';
import type { ChainState } from './seal.js';
import { readFirstRecord, readTail, type Tail } from './tail.js';

export interface Resumed {
  readonly state: ChainState;
  /** Seq of the live file's first record, if it has one. */
  readonly firstSeq: number | undefined;
  /** When the live file was started (its first record's ts), for time-based rotation. */
  readonly startedMs: number;
}

export async function continueTrail(handle: FileHandle, liveFile: string, now: Date): Promise<Resumed> {
  const tail = await readTail(handle);
  if (tail.tornBytes > 0) {
    // A write cut short by a crash: the record was never acknowledged, so it is not part of the trail.
    await handle.truncate(tail.durableSize);
    await handle.datasync();
  }
  const first = tail.durableSize > 0 ? await readFirstRecord(handle) : undefined;
  const end = tail.last !== undefined ? tail : await newestRotatedTail(liveFile);
  const head: ChainHead = end?.last ?? { seq: 0, hash: GENESIS_HASH };
  const covered = end?.last === undefined || end.lastKind === 'checkpoint';
  const startedMs = first ? Date.parse(first.ts) : NaN;
  return {
    state: { head, size: tail.durableSize, sinceCheckpoint: covered ? 0 : 1, lastCheckpointMs: now.getTime() },
    firstSeq: first?.seq,
    startedMs: Number.isNaN(startedMs) ? now.getTime() : startedMs,
  };
}

async function newestRotatedTail(liveFile: string): Promise<Tail | undefined> {
  const newest = (await listRotated(liveFile)).at(-1);
  if (newest === undefined) return undefined;
  const handle = await open(newest.path, 'r');
  try {
    return await readTail(handle);
  } finally {
    await handle.close();
  }
}
