// Puts a set of trail files in chain order by what their first records say, not by their names:
// names change when files are shipped, copied or renamed, and a file's first seq does not.
import { open, stat } from 'node:fs/promises';
import { chainFieldsSchema } from './record-schema.js';
import { LineTooLongError, readRawLines } from './line-reader.js';
import { GENESIS_HASH } from './record.js';
import { readTail } from './tail.js';

export interface TrailFile {
  readonly path: string;
  /** The first record's seq and prev; undefined when the file holds no whole line. */
  readonly first: { readonly seq: number; readonly prev: string } | undefined;
  readonly size: number;
}

export interface OrderedTrail {
  /** Files with records, by first seq; a file holding only a torn line goes last (it can only be the live file). */
  readonly ordered: readonly TrailFile[];
  readonly empty: readonly TrailFile[];
  /** Files whose first line is not a record: they cannot be placed. */
  readonly unplaceable: readonly TrailFile[];
}

export async function orderTrailFiles(paths: readonly string[]): Promise<OrderedTrail> {
  const withRecords: TrailFile[] = [];
  const tornOnly: TrailFile[] = [];
  const empty: TrailFile[] = [];
  const unplaceable: TrailFile[] = [];
  for (const path of new Set(paths)) {
    const { size } = await stat(path);
    const firstLine = await readFirstLine(path).catch((err: unknown) => {
      if (err instanceof LineTooLongError) return null;
      throw err;
    });
    if (firstLine === null) {
      unplaceable.push({ path, first: undefined, size });
      continue;
    }
    if (firstLine === undefined) {
      (size === 0 ? empty : tornOnly).push({ path, first: undefined, size });
      continue;
    }
    const first = parseFirst(firstLine);
    (first ? withRecords : unplaceable).push({ path, first, size });
  }
  withRecords.sort((a, b) => (a.first?.seq ?? 0) - (b.first?.seq ?? 0));
  return { ordered: [...withRecords, ...tornOnly], empty, unplaceable };
}

async function readFirstLine(path: string): Promise<Buffer | undefined> {
  // Small reads: a set of hundreds of rotated files should not cost a large buffer per file.
  for await (const line of readRawLines(path, undefined, 16 * 1024)) return line.terminated ? line.bytes : undefined;
  return undefined;
}

function parseFirst(line: Buffer): { seq: number; prev: string } | undefined {
  try {
    const parsed = chainFieldsSchema.safeParse(JSON.parse(line.toString('utf8')));
    return parsed.success ? { seq: parsed.data.seq, prev: parsed.data.prev } : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Groups files by chain. A set holds several chains when several of its files start at the
 * genesis record: one trail per worker (audit.w1.jsonl, audit.w2.jsonl, … and their rotated
 * files). Each other file joins the chain whose file it continues (its first record's prev is the
 * hash of that file's last line). `orphans` continue no file given: with several chains that is a
 * failure (the file before it is missing or was changed at its end), never a new chain. With one
 * genesis file or none, everything is one set, verified as before.
 */
export interface ChainGroups {
  readonly chains: readonly (readonly string[])[];
  readonly orphans: readonly string[];
  /** Empty, torn-only and unplaceable files: each verified on its own (warnings, or its problem). */
  readonly loose: readonly string[];
}

export async function groupChains(paths: readonly string[]): Promise<ChainGroups | undefined> {
  const { ordered, empty, unplaceable } = await orderTrailFiles(paths);
  const heads = ordered.filter((f) => f.first?.seq === 1 && f.first.prev === GENESIS_HASH);
  if (heads.length <= 1) return undefined;
  const byTail = new Map<string, TrailFile>();
  for (const f of ordered) {
    const tail = await lastLink(f.path);
    if (tail !== undefined) byTail.set(`${tail.seq}:${tail.hash}`, f);
  }
  const chainOf = new Map<TrailFile, string[]>(heads.map((h) => [h, [h.path]]));
  const orphans: string[] = [];
  const loose: string[] = [...empty, ...unplaceable].map((f) => f.path);
  // By first seq, so a file's predecessor is always placed before it.
  for (const f of ordered) {
    if (chainOf.has(f)) continue;
    if (f.first === undefined) {
      loose.push(f.path);
      continue;
    }
    const before = byTail.get(`${f.first.seq - 1}:${f.first.prev}`);
    const chain = before === undefined ? undefined : chainOf.get(before);
    if (chain === undefined) {
      orphans.push(f.path);
      continue;
    }
    chain.push(f.path);
    chainOf.set(f, chain);
  }
  return { chains: heads.map((h) => chainOf.get(h)!), orphans, loose };
}

async function lastLink(path: string): Promise<{ seq: number; hash: string } | undefined> {
  const handle = await open(path, 'r');
  try {
    return (await readTail(handle)).last;
  } catch {
    return undefined;
  } finally {
    await handle.close();
  }
}
