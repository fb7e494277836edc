// The embedded store: one JSON document under the data directory, replaced atomically (write a
// temporary file, fsync, rename, fsync the directory) so a crash leaves the old or the new state,
// never half of one. Changes take a lock file (O_EXCL), so that several processes on one host
// (cluster workers, a restarted replica) can share the directory; within a process they queue.
import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, rm, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { grantLive, keepUntilMs } from './ticket.js';
import type { ApprovalStore, GrantChange, GrantRecord, GrantUse, StoredTicket, StoreTimes, Ticket } from './types.js';

const FILE = 'approvals.json';
const LOCK = 'approvals.lock';
/** A lock older than this was left by a process that died while holding it. */
const STALE_LOCK_MS = 10_000;
const LOCK_WAIT_MS = 5_000;

interface Document {
  readonly format: 1;
  tickets: Record<string, Ticket & { keep_until_ms?: number }>;
  grants: Record<string, GrantRecord>;
}

const empty = (): Document => ({ format: 1, tickets: {}, grants: {} });

export class FileApprovalStore implements ApprovalStore {
  readonly kind = 'file' as const;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly file: string;
  private readonly lock: string;

  private constructor(
    readonly dir: string,
    private readonly times: StoreTimes,
  ) {
    this.file = join(dir, FILE);
    this.lock = join(dir, LOCK);
  }

  static async create(dir: string, times: StoreTimes): Promise<FileApprovalStore> {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const store = new FileApprovalStore(dir, times);
    await store.read(); // a corrupt document is a start-up error, not a surprise later
    return store;
  }

  async open(draft: Ticket, nowMs: number): Promise<{ ticket: Ticket; created: boolean }> {
    return this.change<{ ticket: Ticket; created: boolean }>((doc) => {
      const pending = Object.values(doc.tickets).find((t) => t.key === draft.key && t.state === 'pending' && Date.parse(t.pending_until) > nowMs);
      if (pending !== undefined) return { result: { ticket: strip(pending), created: false }, write: false };
      doc.tickets[draft.id] = { ...draft, keep_until_ms: keepUntilMs(draft, this.times.retentionMs, nowMs) };
      return { result: { ticket: draft, created: true }, write: true };
    }, nowMs);
  }

  async get(id: string): Promise<StoredTicket | undefined> {
    const doc = await this.read();
    const t = Object.hasOwn(doc.tickets, id) ? doc.tickets[id] : undefined;
    return t === undefined ? undefined : stored(doc, t);
  }

  async list(): Promise<StoredTicket[]> {
    const doc = await this.read();
    return Object.values(doc.tickets)
      .sort((a, b) => b.created_at.localeCompare(a.created_at))
      .map((t) => stored(doc, t));
  }

  async active(): Promise<StoredTicket[]> {
    return (await this.list()).filter((s) => s.ticket.state === 'pending' || s.ticket.state === 'approved');
  }

  async update(next: Ticket, expectedVersion: number, grant: GrantChange): Promise<boolean> {
    const nowMs = Date.now();
    return this.change((doc) => {
      const current = Object.hasOwn(doc.tickets, next.id) ? doc.tickets[next.id] : undefined;
      if (current === undefined || current.version !== expectedVersion) return { result: false, write: false };
      doc.tickets[next.id] = { ...next, keep_until_ms: keepUntilMs(next, this.times.retentionMs, nowMs) };
      if (grant !== undefined && 'set' in grant) doc.grants[next.key] = grant.set;
      else if (grant !== undefined && doc.grants[next.key]?.ticket === next.id) delete doc.grants[next.key];
      return { result: true, write: true };
    }, nowMs);
  }

  async consume(key: string, nowMs: number): Promise<GrantUse | undefined> {
    // Unlimited grants are only read; a counted use changes the document under the lock.
    const seen = (await this.read()).grants[key];
    if (!grantLive(seen, nowMs)) return undefined;
    if (seen.uses_left < 0) return { ticket: seen.ticket, remaining: null };
    return this.change<GrantUse | undefined>((doc) => {
      const g = Object.hasOwn(doc.grants, key) ? doc.grants[key] : undefined;
      if (!grantLive(g, nowMs)) return { result: undefined, write: false };
      if (g.uses_left < 0) return { result: { ticket: g.ticket, remaining: null }, write: false };
      doc.grants[key] = { ...g, uses_left: g.uses_left - 1 };
      return { result: { ticket: g.ticket, remaining: g.uses_left - 1 }, write: true };
    }, nowMs);
  }

  async ping(): Promise<void> {
    await stat(this.dir);
  }

  async close(): Promise<void> {
    await this.queue.catch(() => undefined);
  }

  private async read(): Promise<Document> {
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return empty();
      throw err;
    }
    const doc = JSON.parse(text) as Document;
    if (doc.format !== 1 || typeof doc.tickets !== 'object' || typeof doc.grants !== 'object') throw new Error(`${this.file}: not an approvals document`);
    return doc;
  }

  /** Runs `fn` on the current document under the lock, and writes it back if asked to. */
  private change<T>(fn: (doc: Document) => { result: T; write: boolean }, nowMs: number): Promise<T> {
    const run = async (): Promise<T> => {
      await this.acquire();
      try {
        const doc = await this.read();
        const { result, write } = fn(doc);
        if (write) {
          prune(doc, nowMs);
          await this.write(doc);
        }
        return result;
      } finally {
        await unlink(this.lock).catch(() => undefined);
      }
    };
    const next = this.queue.then(run, run);
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async acquire(): Promise<void> {
    const deadline = Date.now() + LOCK_WAIT_MS;
    for (let wait = 2; ; wait = Math.min(wait * 2, 50)) {
      try {
        const handle = await open(this.lock, 'wx', 0o600);
        await handle.writeFile(`${process.pid}\n`);
        await handle.close();
        return;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      const age = await stat(this.lock).then((s) => Date.now() - s.mtimeMs, () => 0);
      if (age > STALE_LOCK_MS) await unlink(this.lock).catch(() => undefined);
      else if (Date.now() > deadline) throw new Error(`${this.lock}: held by another process for over ${LOCK_WAIT_MS} ms`);
      else await sleep(wait);
    }
  }

  private async write(doc: Document): Promise<void> {
    const tmp = `${this.file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    try {
      const handle = await open(tmp, 'w', 0o600);
      try {
        await handle.writeFile(JSON.stringify(doc));
        await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(tmp, this.file);
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
    const dir = await open(this.dir, 'r');
    try {
      await dir.sync();
    } finally {
      await dir.close();
    }
  }
}

function strip(t: Ticket & { keep_until_ms?: number }): Ticket {
  const ticket: Ticket & { keep_until_ms?: number } = { ...t };
  delete ticket.keep_until_ms;
  return ticket;
}

function stored(doc: Document, t: Ticket & { keep_until_ms?: number }): StoredTicket {
  const g = doc.grants[t.key];
  return { ticket: strip(t), grant: g?.ticket === t.id ? g : undefined };
}

/** Drops tickets past their retention and grants past their end. */
function prune(doc: Document, nowMs: number): void {
  for (const [id, t] of Object.entries(doc.tickets)) if ((t.keep_until_ms ?? Infinity) <= nowMs) delete doc.tickets[id];
  for (const [key, g] of Object.entries(doc.grants)) if (!grantLive(g, nowMs)) delete doc.grants[key];
}
