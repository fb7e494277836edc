// A durable, append-only audit file with group commit: entries queue while a write is under way,
// then go to disk in one write and one fdatasync; each caller's promise settles only after its
// line is on disk. A failed write rolls the file and the chain back to the last durable line, so
// the trail never holds a half-written record, and the writer recovers when writing works again.
import { mkdir, open, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { nextLine, type ChainHead } from './chain.js';
import { GENESIS_HASH, type AuditEntry } from './record.js';
import { readTail } from './tail.js';

interface Pending {
  readonly entry: AuditEntry;
  readonly resolve: () => void;
  readonly reject: (err: Error) => void;
}

export type AuditHealthListener = (writable: boolean, error?: Error) => void;

export class AuditWriter {
  private queue: Pending[] = [];
  private flushing: Promise<void> | undefined;
  private writable = true;
  private closed = false;
  private readonly listeners = new Set<AuditHealthListener>();

  private constructor(
    readonly file: string,
    private readonly handle: FileHandle,
    private head: ChainHead,
    private size: number,
    private readonly clock: () => Date,
  ) {}

  /** Opens (or creates) the file and continues its chain; a torn last line from a crash is cut off. */
  static async open(file: string, clock: () => Date = () => new Date()): Promise<AuditWriter> {
    await mkdir(dirname(file), { recursive: true });
    const handle = await open(file, 'a+', 0o640);
    try {
      const tail = await readTail(handle);
      if (tail.tornBytes > 0) {
        await handle.truncate(tail.durableSize);
        await handle.datasync();
      }
      const head = tail.last ?? { seq: 0, hash: GENESIS_HASH };
      return new AuditWriter(file, handle, head, tail.durableSize, clock);
    } catch (err) {
      await handle.close();
      throw err;
    }
  }

  get isWritable(): boolean {
    return this.writable && !this.closed;
  }

  onHealthChange(listener: AuditHealthListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  append(entry: AuditEntry): Promise<void> {
    if (this.closed) return Promise.reject(new Error('audit writer is closed'));
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ entry, resolve, reject });
      this.flushing ??= this.flushLoop().finally(() => {
        this.flushing = undefined;
      });
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.flushing;
    await this.handle.close();
  }

  private async flushLoop(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue;
      this.queue = [];
      await this.writeBatch(batch);
    }
  }

  private async writeBatch(batch: Pending[]): Promise<void> {
    const now = this.clock();
    let head = this.head;
    const lines: string[] = [];
    for (const p of batch) {
      const next = nextLine(head, p.entry, now);
      lines.push(next.line, '\n');
      head = next.head;
    }
    const bytes = Buffer.from(lines.join(''), 'utf8');
    try {
      await writeFully(this.handle, bytes);
      await this.handle.datasync();
    } catch (err) {
      await this.rollback();
      this.setWritable(false, err as Error);
      for (const p of batch) p.reject(err as Error);
      return;
    }
    this.head = head;
    this.size += bytes.length;
    this.setWritable(true);
    for (const p of batch) p.resolve();
  }

  /** Cuts off whatever part of a failed batch reached the file, so the next batch links to a whole line. */
  private async rollback(): Promise<void> {
    try {
      await this.handle.truncate(this.size);
    } catch {
      // The next open() cuts a torn tail too; until then verify reports it as torn, not as tampering.
    }
  }

  private setWritable(writable: boolean, error?: Error): void {
    if (writable === this.writable) return;
    this.writable = writable;
    for (const l of this.listeners) l(writable, error);
  }
}

async function writeFully(handle: FileHandle, bytes: Buffer): Promise<void> {
  let offset = 0;
  while (offset < bytes.length) {
    const { bytesWritten } = await handle.write(bytes, offset, bytes.length - offset);
    offset += bytesWritten;
  }
}
