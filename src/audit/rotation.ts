// Rotated files: their names (the closing time and the seq of their first record, so a listing
// sorts by time), finding them again after a restart, and retention by count. Verify never
// trusts these names; it orders files by their records.
import { readdir, unlink } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';

export interface RotatedFile {
  readonly path: string;
  readonly firstSeq: number;
}

/** `audit.jsonl` closed at 10:00:00 with first seq 1 → `audit.2026-11-29T10-00-00Z.000001.jsonl`. */
export function rotatedName(liveFile: string, closedAt: Date, firstSeq: number): string {
  const { stem, ext } = splitName(liveFile);
  const stamp = closedAt.toISOString().replace(/\.\d{3}Z$/, 'Z').replace(/:/g, '-');
  return `${stem}.${stamp}.${String(firstSeq).padStart(6, '0')}${ext}`;
}

/** The rotated files of the trail whose live file is `liveFile`, oldest (lowest first seq) first. */
export async function listRotated(liveFile: string): Promise<RotatedFile[]> {
  const dir = dirname(liveFile);
  const { stem, ext } = splitName(liveFile);
  const pattern = new RegExp(`^${escape(stem)}\\.\\d{4}-\\d{2}-\\d{2}T\\d{2}-\\d{2}-\\d{2}Z\\.(\\d+)${escape(ext)}$`);
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const found: RotatedFile[] = [];
  for (const name of names) {
    const match = pattern.exec(name);
    if (match?.[1] !== undefined) found.push({ path: join(dir, name), firstSeq: Number(match[1]) });
  }
  return found.sort((a, b) => a.firstSeq - b.firstSeq);
}

/** Deletes the oldest rotated files beyond `retain`; returns what it deleted. */
export async function applyRetention(liveFile: string, retain: number): Promise<string[]> {
  const rotated = await listRotated(liveFile);
  const doomed = rotated.slice(0, Math.max(0, rotated.length - retain));
  for (const file of doomed) await unlink(file.path);
  return doomed.map((f) => f.path);
}

function splitName(liveFile: string): { stem: string; ext: string } {
  const name = basename(liveFile);
  const ext = extname(name);
  return { stem: ext === '' ? name : name.slice(0, -ext.length), ext };
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
