// Turns queued entries into chained lines, inserting signed checkpoints where they are due. Pure
// but for the signing: it returns the bytes and the chain state after them, and the writer adopts
// that state only once the bytes are written, so a failed write leaves nothing to undo in memory.
import { nextLine, type ChainHead } from './chain.js';
import type { CheckpointSigner } from './checkpoint.js';
import type { AuditEntry } from './record.js';

export interface Settle {
  readonly resolve: () => void;
  readonly reject: (err: Error) => void;
}

/** An accepted entry, stamped when it was appended; only sync-mode entries carry a caller to settle. */
export interface Queued {
  readonly entry: AuditEntry;
  readonly ts: string;
  readonly settle?: Settle;
}

/** Where the chain stands after some bytes: its head, the live file's size, and checkpoint bookkeeping. */
export interface ChainState {
  readonly head: ChainHead;
  readonly size: number;
  /** Records written since the last checkpoint (1 when unknown but non-zero, after a restart). */
  readonly sinceCheckpoint: number;
  readonly lastCheckpointMs: number;
}

export interface SealOptions {
  readonly signer: CheckpointSigner | undefined;
  readonly everyRecords: number;
  readonly everyMs: number;
  /** The trail's name, signed into each checkpoint. */
  readonly trail: string;
  readonly now: Date;
  /** Sign what came before this batch first (after a restart, on rotation, on close, or when T elapsed). */
  readonly checkpointFirst: boolean;
}

export interface Sealed {
  readonly bytes: Buffer;
  readonly state: ChainState;
}

export async function sealBatch(batch: readonly Queued[], start: ChainState, options: SealOptions): Promise<Sealed> {
  const { signer } = options;
  const nowMs = options.now.getTime();
  let { head, sinceCheckpoint, lastCheckpointMs } = start;
  const lines: string[] = [];
  const checkpoint = async (): Promise<void> => {
    if (signer === undefined || sinceCheckpoint === 0) return;
    const ts = options.now.toISOString();
    const jws = await signer.sign({ head: head.hash, seq: head.seq, ts, file: options.trail });
    const next = nextLine(head, { kind: 'checkpoint', head: head.hash, count: head.seq, jws }, ts);
    lines.push(next.line, '\n');
    head = next.head;
    sinceCheckpoint = 0;
    lastCheckpointMs = nowMs;
  };

  if (options.checkpointFirst) await checkpoint();
  for (const queued of batch) {
    const next = nextLine(head, queued.entry, queued.ts);
    lines.push(next.line, '\n');
    head = next.head;
    sinceCheckpoint += 1;
    if (sinceCheckpoint >= options.everyRecords) await checkpoint();
  }
  if (nowMs - lastCheckpointMs >= options.everyMs) await checkpoint();

  const bytes = Buffer.from(lines.join(''), 'utf8');
  return { bytes, state: { head, size: start.size + bytes.length, sinceCheckpoint, lastCheckpointMs } };
}
