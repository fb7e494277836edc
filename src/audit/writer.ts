// A durable, append-only audit trail with group commit, signed checkpoints and rotation. Entries
// queue while a write is under way, then go to disk in one write (and, in sync mode, one
// fdatasync); commit-loop.ts does the writing, this class decides what to accept and tells
// listeners when the trail can and cannot be written.
//
// When a write fails, the file is cut back to its last whole line; the writer turns unwritable
// (appends reject at once, health listeners hear it) and retries in the background, with backoff,
// until writing works again. What becomes of the entries involved: failure-policy.ts.
import type { Logger } from '../logging/logger.js';
import { loadSigningKey } from './checkpoint.js';
import { CommitLoop } from './commit-loop.js';
import { auditConfigSchema, type AuditConfig, type AuditConfigInput } from './config.js';
import { LiveFile } from './live-file.js';
import type { AuditEntry } from './record.js';
import { openFileDefault, type OpenFile } from './trail-file.js';

export type AuditHealthListener = (writable: boolean, error?: Error) => void;

export interface AuditWriterOptions {
  readonly clock?: () => Date;
  readonly logger?: Logger;
  /** Test seam for fault injection; defaults to fs.promises.open. */
  readonly openFile?: OpenFile;
}

/** Thrown by append while the trail cannot be written; the caller must not act as if it were recorded. */
export class AuditUnavailableError extends Error {
  override readonly name = 'AuditUnavailableError';
}

/** Batch and async acknowledge before writing; beyond this many waiting entries they refuse instead. */
const MAX_QUEUED = 100_000;

export class AuditWriter {
  private closing: Promise<void> | undefined;
  private readonly listeners = new Set<AuditHealthListener>();
  private readonly loop: CommitLoop;

  private constructor(
    private readonly config: AuditConfig,
    private readonly clock: () => Date,
    makeLoop: (notify: AuditHealthListener) => CommitLoop,
  ) {
    this.loop = makeLoop((writable, error) => {
      for (const listener of this.listeners) listener(writable, error);
    });
  }

  /**
   * Opens (or creates) the live file and continues its chain, or the chain of the newest rotated
   * file if the live file is empty; a torn last line from a crash is cut off. A string is taken
   * as `{ file }` with every other option at its default.
   */
  static async open(config: AuditConfigInput | string, options: AuditWriterOptions = {}): Promise<AuditWriter> {
    const parsed = auditConfigSchema.parse(typeof config === 'string' ? { file: config } : config);
    const clock = options.clock ?? (() => new Date());
    const openFile = options.openFile ?? openFileDefault;
    const signer = parsed.signing_key_file === undefined ? undefined : await loadSigningKey(parsed.signing_key_file);
    const live = await LiveFile.open(parsed.file, openFile, clock());
    return new AuditWriter(parsed, clock, (notify) => new CommitLoop({ config: parsed, live, signer, clock, logger: options.logger, openFile, notify }));
  }

  get file(): string {
    return this.config.file;
  }

  /** Entries accepted and not yet written (for the queue-depth metric). */
  get queued(): number {
    return this.loop.queued;
  }

  get isWritable(): boolean {
    return this.loop.failed === undefined && this.closing === undefined;
  }

  onHealthChange(listener: AuditHealthListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * sync: resolves once the record is on disk (fdatasync'd). batch and async: resolves once the
   * record is accepted into the ordered queue. Rejects, recording nothing, while the trail cannot
   * be written and after close.
   */
  append(entry: AuditEntry): Promise<void> {
    if (this.closing !== undefined) return Promise.reject(new Error('audit writer is closed'));
    const failure = this.loop.failed;
    if (failure) return Promise.reject(new AuditUnavailableError(`audit trail cannot be written: ${failure.message}`, { cause: failure }));
    const ts = this.clock().toISOString();
    if (this.config.durability === 'sync') {
      return new Promise<void>((resolve, reject) => this.loop.add({ entry, ts, settle: { resolve, reject } }));
    }
    if (this.loop.queued >= MAX_QUEUED) return Promise.reject(new AuditUnavailableError(`audit queue is full (${MAX_QUEUED} entries waiting for the disk)`));
    this.loop.add({ entry, ts });
    return Promise.resolve();
  }

  /** Writes what is queued, signs a last checkpoint, fdatasyncs and closes; rejects if anything accepted could not be written. */
  close(): Promise<void> {
    this.closing ??= this.loop.finish();
    return this.closing;
  }
}
