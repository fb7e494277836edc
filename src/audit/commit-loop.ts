// The commit loop behind AuditWriter: one lane on which every file operation runs, one at a
// time and in order, so the chain never forks — group commits, fdatasyncs, checkpoints, rotation,
// and, after a failure, the cut back, the backoff and the recovery. It decides nothing about
// callers beyond what failure-policy.ts says; AuditWriter decides what to accept.
import { basename } from 'node:path';
import type { Logger } from '../logging/logger.js';
import { Backoff } from './backoff.js';
import type { CheckpointSigner } from './checkpoint.js';
import type { AuditConfig } from './config.js';
import { entriesAfterFailure } from './failure-policy.js';
import type { LiveFile } from './live-file.js';
import { applyRetention } from './rotation.js';
import { sealBatch, type Queued } from './seal.js';
import { probeWritable, type OpenFile } from './trail-file.js';

const RETRY_FIRST_MS = 50;
const RETRY_MAX_MS = 1000;

export interface CommitLoopDeps {
  readonly config: AuditConfig;
  readonly live: LiveFile;
  readonly signer: CheckpointSigner | undefined;
  readonly clock: () => Date;
  readonly logger: Logger | undefined;
  readonly openFile: OpenFile;
  /** Called when the trail turns unwritable, and when it is writable again. */
  readonly notify: (writable: boolean, error?: Error) => void;
}

export class CommitLoop {
  private queue: Queued[] = [];
  /** Batch mode: written but not yet fdatasync'd; written again if that fdatasync fails. */
  private unsynced: Queued[] = [];
  private failure: Error | undefined;
  private closed = false;
  private checkpointDue: boolean;
  private lane: Promise<void> = Promise.resolve();
  private drainQueued = false;
  private readonly backoff = new Backoff(RETRY_FIRST_MS, RETRY_MAX_MS);
  private syncTimer: NodeJS.Timeout | undefined;
  private housekeeping: NodeJS.Timeout | undefined;
  private readonly config: AuditConfig;
  private readonly live: LiveFile;
  private readonly signer: CheckpointSigner | undefined;
  private readonly clock: () => Date;
  private readonly logger: Logger | undefined;

  constructor(private readonly deps: CommitLoopDeps) {
    this.config = deps.config;
    this.live = deps.live;
    this.signer = deps.signer;
    this.clock = deps.clock;
    this.logger = deps.logger;
    // A trail that ends in records no checkpoint covers (a crash) is signed first thing.
    this.checkpointDue = this.signer !== undefined && this.live.written.sinceCheckpoint > 0;
    this.startHousekeeping();
  }

  /** Set from a failed write until a recovery succeeds. */
  get failed(): Error | undefined {
    return this.failure;
  }

  get queued(): number {
    return this.queue.length;
  }

  add(queued: Queued): void {
    this.queue.push(queued);
    this.scheduleDrain();
  }

  /** Writes what is queued, signs a last checkpoint, fdatasyncs and closes the file. */
  async finish(): Promise<void> {
    this.closed = true;
    clearInterval(this.housekeeping);
    clearTimeout(this.syncTimer);
    await this.onLane(async () => {
      this.backoff.cancel();
      let ok = this.failure ? await this.recover() : await this.drain();
      if (ok && this.signer && this.live.written.sinceCheckpoint > 0) ok = await this.writeLines([], true);
      ok &&= await this.syncNow();
      const lost = this.queue.length;
      for (const q of this.queue) q.settle?.reject(this.failure ?? new Error('audit writer is closed'));
      this.queue = [];
      await this.live.close().catch(() => undefined);
      if (!ok) throw new Error(`audit trail could not be flushed on close (${this.failure?.message ?? 'unknown error'}); ${lost} accepted record(s) were not written`);
    });
  }

  // ---- the lane: every file operation, one at a time, in order ----

  private onLane(op: () => Promise<void>): Promise<void> {
    const run = this.lane.then(op);
    // Operations handle their own I/O errors; this only keeps the lane going after a bug.
    this.lane = run.catch((err: unknown) => this.logger?.error({ err }, 'audit writer operation failed'));
    return run;
  }

  private scheduleDrain(): void {
    if (this.drainQueued) return;
    this.drainQueued = true;
    void this.onLane(async () => {
      this.drainQueued = false;
      if (!this.failure) await this.drain();
    });
  }

  /** Writes until the queue is empty (rotating first when due); false if an operation failed. */
  private async drain(): Promise<boolean> {
    for (;;) {
      if (this.live.rotationDue(this.config, this.clock()) && !(await this.rotate())) return false;
      if (this.queue.length === 0 && !this.checkpointDue) return true;
      const batch = this.queue;
      this.queue = [];
      if (!(await this.writeLines(batch, false))) return false;
    }
  }

  private async writeLines(batch: Queued[], checkpointFirst: boolean): Promise<boolean> {
    const mode = this.config.durability;
    try {
      const now = this.clock();
      const sealed = await sealBatch(batch, this.live.written, {
        signer: this.signer,
        everyRecords: this.config.checkpoint_every_records,
        everyMs: this.config.checkpoint_every_seconds * 1000,
        trail: basename(this.config.file),
        now,
        checkpointFirst: checkpointFirst || this.checkpointDue,
      });
      await this.live.append(sealed.bytes, sealed.state, mode === 'sync', now);
    } catch (err) {
      await this.fail(asError(err), batch);
      return false;
    }
    this.checkpointDue = false;
    if (mode === 'sync') for (const q of batch) q.settle?.resolve();
    if (mode === 'batch') {
      this.unsynced.push(...batch);
      this.scheduleSync();
    }
    return true;
  }

  private scheduleSync(): void {
    if (this.syncTimer !== undefined || this.closed) return;
    this.syncTimer = setTimeout(() => {
      this.syncTimer = undefined;
      void this.onLane(async () => {
        if (!this.failure) await this.syncNow();
      });
    }, this.config.batch_interval_ms);
    this.syncTimer.unref();
  }

  private async syncNow(): Promise<boolean> {
    try {
      await this.live.sync();
    } catch (err) {
      await this.fail(asError(err), []);
      return false;
    }
    this.unsynced = [];
    return true;
  }

  private async rotate(): Promise<boolean> {
    // Each rotated file ends with a checkpoint, so it can be verified, and its end trusted, alone.
    if (this.signer && this.live.written.sinceCheckpoint > 0 && !(await this.writeLines([], true))) return false;
    // Made durable here, not only inside rotate(), so that a failed rename cannot re-queue them.
    if (!(await this.syncNow())) return false;
    try {
      const rotated = await this.live.rotate(this.clock());
      this.logger?.info({ file: rotated }, 'audit file rotated');
    } catch (err) {
      await this.fail(asError(err), []);
      return false;
    }
    if (this.config.retain_files !== undefined) {
      // Retention is housekeeping: failing to delete an old file must not stop the trail.
      await applyRetention(this.config.file, this.config.retain_files).then(
        (deleted) => deleted.length > 0 && this.logger?.info({ deleted }, 'old audit files deleted (retain_files)'),
        (err: unknown) => this.logger?.warn({ err }, 'could not delete old audit files'),
      );
    }
    return true;
  }

  private startHousekeeping(): void {
    const interval = this.config.rotate_interval_seconds;
    if (this.signer === undefined && interval === undefined) return;
    const shortest = Math.min(this.signer ? this.config.checkpoint_every_seconds : Infinity, interval ?? Infinity);
    this.housekeeping = setInterval(() => {
      if (this.failure || this.closed) return;
      const { sinceCheckpoint, lastCheckpointMs } = this.live.written;
      const elapsed = this.clock().getTime() - lastCheckpointMs;
      if (this.signer && sinceCheckpoint > 0 && elapsed >= this.config.checkpoint_every_seconds * 1000) this.checkpointDue = true;
      if (this.checkpointDue || this.live.rotationDue(this.config, this.clock())) this.scheduleDrain();
    }, Math.min(1000, Math.max(20, shortest * 250)));
    this.housekeeping.unref();
  }

  // ---- failure and recovery ----

  /** Cuts the file back, settles or re-queues the entries involved, turns unwritable and starts retrying. */
  private async fail(err: Error, failed: Queued[]): Promise<void> {
    // Unwritable before any caller hears of the failure, so the very next append is refused.
    const wasWritable = this.failure === undefined;
    this.failure = err;
    if (wasWritable) this.deps.notify(false, err);
    const outcome = entriesAfterFailure(this.config.durability, failed, this.unsynced, this.queue);
    await this.live.cutBack(outcome.cutTo);
    this.queue = outcome.queue;
    this.unsynced = [];
    for (const q of outcome.rejected) q.settle?.reject(err);
    if (this.closed) return;
    this.backoff.schedule(async () => {
      let done = true;
      await this.onLane(async () => {
        done = this.failure === undefined || this.closed || (await this.recover());
      });
      return done;
    });
  }

  /** One recovery attempt: a fresh handle cut to the last good line, then the queue, in order, made durable. */
  private async recover(): Promise<boolean> {
    try {
      const shrunk = await this.live.reopen();
      if (shrunk !== undefined) this.logger?.error({ file: this.config.file, size: shrunk }, 'audit file was cut shorter by someone else while it could not be written');
      if (this.queue.length === 0 && !this.checkpointDue) await probeWritable(this.config.file, this.deps.openFile);
    } catch (err) {
      this.failure = asError(err);
      return false;
    }
    // Nothing new was accepted while failing, so the queue holds exactly the older, acknowledged entries.
    if (!(await this.drain()) || !(await this.syncNow())) return false;
    this.failure = undefined;
    this.backoff.reset();
    this.deps.notify(true);
    return true;
  }

}

function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}
