// Puts a set of trail files in chain order by what their first records say, not by their names:
// names change when files are shipped, copied or renamed, and a file's first seq does not.
import { stat } from 'node:fs/promises';
import { chainFieldsSchema } from './record-schema.js';
import { LineTooLongError, readRawLines } from './line-reader.js';

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
