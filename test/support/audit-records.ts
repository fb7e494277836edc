// Every record residency-gate wrote for one configured audit file: `serve` runs a worker per core,
// each with its own chain (audit.jsonl → audit.w1.jsonl, audit.w2.jsonl, …), and rotation adds more.
import { readdir, readFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

export async function readAuditRecords(auditFile: string): Promise<Array<Record<string, unknown>>> {
  const dir = dirname(auditFile);
  const stem = basename(auditFile).replace(/\.jsonl$/, '');
  const files = (await readdir(dir)).filter((f) => f.startsWith(stem) && f.endsWith('.jsonl'));
  const texts = await Promise.all(files.map((f) => readFile(join(dir, f), 'utf8')));
  return texts.flatMap((t) => t.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>));
}
