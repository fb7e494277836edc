// What the audit commands share: where output goes (injectable, for tests), writing with
// backpressure so a large export piped into a slow reader does not pile up in memory, usage
// errors, and the time and file arguments.
import { once } from 'node:events';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';

export interface CliIo {
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream & { readonly isTTY?: boolean };
}

export const processIo = (): CliIo => ({ stdout: process.stdout, stderr: process.stderr });

export class AuditUsageError extends Error {}

export async function write(stream: NodeJS.WritableStream, text: string): Promise<void> {
  // A reader that went away (`| head`) shows up here, not as a crash: the caller stops quietly.
  const errored = (stream as { errored?: Error | null }).errored;
  if (errored) throw errored;
  if (!stream.write(text)) await once(stream, 'drain');
}

/** True for the error a write gets once the reading end of a pipe is closed. */
export function isClosedPipe(err: unknown): boolean {
  return (err as { code?: unknown }).code === 'EPIPE';
}

/** RFC 3339 (2026-11-29T10:00:00Z) or a date (2026-11-29, meaning its start, UTC). */
export function parseTime(option: string, value: string | undefined): Date | undefined {
  if (value === undefined) return undefined;
  const ms = Date.parse(value);
  if (!/^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2}))?$/i.test(value) || Number.isNaN(ms)) {
    throw new AuditUsageError(`${option} expects an RFC 3339 time (2026-11-29T10:00:00Z) or a date (2026-11-29), not "${value}"`);
  }
  return new Date(ms);
}

/** The files named, with a directory standing for the *.jsonl files in it (hidden ones aside). */
export async function trailFiles(args: readonly string[]): Promise<string[]> {
  if (args.length === 0) throw new AuditUsageError('name at least one audit file (or a directory of them)');
  const files: string[] = [];
  for (const arg of args) {
    const info = await stat(arg).catch(() => undefined);
    if (info === undefined) throw new AuditUsageError(`${arg}: no such file or directory`);
    if (!info.isDirectory()) {
      files.push(arg);
      continue;
    }
    const names = (await readdir(arg)).filter((n) => n.endsWith('.jsonl') && !n.startsWith('.')).sort();
    files.push(...names.map((n) => join(arg, n)));
  }
  return files;
}

export function formatCount(n: number): string {
  return n.toLocaleString('en-US');
}
