// The live file and what is known about it: the chain state of what has been written and of what
// is known durable, its first record and start time, and the file-level steps (write, fdatasync,
// cut back, rotate, reopen). It throws on I/O errors; what they mean for queued entries is the
// writer's business.
import { rename, type FileHandle } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { AuditConfig } from './config.js';
import { continueTrail } from './resume.js';
import { rotatedName } from './rotation.js';
import type { ChainState } from './seal.js';
import { fsyncDir, openLiveFile, writeFully, type OpenFile } from './trail-file.js';

export class LiveFile {
  private constructor(
    readonly path: string,
    private handle: FileHandle | undefined,
    private writtenState: ChainState,
    private syncedState: ChainState,
    /** Seq of the file's first record (names it on rotation) and when the file was started. */
    private firstSeq: number | undefined,
    private startedMs: number,
    private readonly openFile: OpenFile,
  ) {}

  /** Opens (or creates) the file and continues the trail's chain; a torn last line is cut off. */
  static async open(path: string, openFile: OpenFile, now: Date): Promise<LiveFile> {
    const handle = await openLiveFile(path, openFile);
    try {
      const found = await continueTrail(handle, path, now);
      return new LiveFile(path, handle, found.state, found.state, found.firstSeq, found.startedMs, openFile);
    } catch (err) {
      await handle.close();
      throw err;
    }
  }

  /** Where the chain stands after everything written so far. */
  get written(): ChainState {
    return this.writtenState;
  }

  /** Where it stood at the last successful fdatasync. */
  get synced(): ChainState {
    return this.syncedState;
  }

  get isOpen(): boolean {
    return this.handle !== undefined;
  }

  /** Appends sealed bytes and adopts the state after them; with `durable`, fdatasyncs first. */
  async append(bytes: Buffer, after: ChainState, durable: boolean, now: Date): Promise<void> {
    const handle = this.requireHandle();
    await writeFully(handle, bytes);
    if (durable) await handle.datasync();
    if (this.firstSeq === undefined && after.head.seq > this.writtenState.head.seq) {
      // A file's age, for time-based rotation, counts from its first record, not from when it was created empty.
      this.firstSeq = this.writtenState.head.seq + 1;
      this.startedMs = now.getTime();
    }
    this.writtenState = after;
    if (durable) this.syncedState = after;
  }

  async sync(): Promise<void> {
    if (this.handle === undefined) return;
    await this.handle.datasync();
    this.syncedState = this.writtenState;
  }

  /**
   * Forgets what was written after the given point and cuts the file back to it, so the next write
   * links to a whole line. The cut is best effort here; reopen() makes sure of it.
   */
  async cutBack(to: 'written' | 'synced'): Promise<void> {
    if (to === 'synced') this.writtenState = this.syncedState;
    await this.handle?.truncate(this.writtenState.size).catch(() => undefined);
  }

  rotationDue(config: AuditConfig, now: Date): boolean {
    if (this.handle === undefined || this.writtenState.size === 0) return false;
    if (this.writtenState.size >= config.rotate_bytes) return true;
    const interval = config.rotate_interval_seconds;
    return interval !== undefined && now.getTime() - this.startedMs >= interval * 1000;
  }

  /**
   * Closes the file durably, renames it to its rotated name, and starts an empty live file; the
   * directory is fsync'd after the rename and after the create. Returns the rotated file's path.
   */
  async rotate(closedAt: Date): Promise<string> {
    await this.sync();
    const old = this.handle;
    this.handle = undefined;
    await old?.close();
    const target = join(dirname(this.path), rotatedName(this.path, closedAt, this.firstSeq ?? this.writtenState.head.seq));
    await rename(this.path, target);
    this.writtenState = { ...this.writtenState, size: 0 };
    this.syncedState = this.writtenState;
    this.firstSeq = undefined;
    this.startedMs = closedAt.getTime();
    await fsyncDir(dirname(this.path));
    this.handle = await openLiveFile(this.path, this.openFile);
    return target;
  }

  /**
   * A fresh handle on the live file (the old one may be what failed), cut back to the last whole
   * line this writer knows of. Returns the size found if someone else had cut the file shorter.
   */
  async reopen(): Promise<number | undefined> {
    await this.handle?.close().catch(() => undefined);
    this.handle = undefined;
    this.handle = await openLiveFile(this.path, this.openFile);
    const { size } = await this.handle.stat();
    if (size > this.writtenState.size) {
      await this.handle.truncate(this.writtenState.size);
      await this.handle.datasync();
      return undefined;
    }
    if (size === this.writtenState.size) return undefined;
    // Keep the chain as it is: the next line's prev then shows verify that records went missing.
    this.writtenState = { ...this.writtenState, size };
    this.syncedState = this.writtenState;
    return size;
  }

  async close(): Promise<void> {
    const handle = this.handle;
    this.handle = undefined;
    await handle?.close();
  }

  private requireHandle(): FileHandle {
    if (this.handle === undefined) throw new Error('the audit file is not open');
    return this.handle;
  }
}
