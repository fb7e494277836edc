// The hash chain: each line names the SHA-256 of the line before it (its bytes, without the
// newline), so an edit, deletion or reordering of any line breaks every link after it.
import { createHash } from 'node:crypto';
import type { AuditEntry, AuditRecord, CheckpointEntry } from './record.js';

export interface ChainHead {
  readonly seq: number;
  readonly hash: string;
}

export function lineHash(line: string | Buffer): string {
  return createHash('sha256').update(line).digest('hex');
}

/** Serialises an entry as the next link after `head`; the fixed key order keeps lines readable. */
export function nextLine(head: ChainHead, entry: AuditEntry | CheckpointEntry, ts: string): { line: string; head: ChainHead } {
  const seq = head.seq + 1;
  const record: AuditRecord = { seq, ts, ...entry, prev: head.hash };
  const line = JSON.stringify(record);
  return { line, head: { seq, hash: lineHash(line) } };
}
