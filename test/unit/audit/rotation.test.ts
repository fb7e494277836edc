// Rotation by size and time, retention by count, and the chain carrying on across files and
// restarts.
import { readFile, rm } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { lineHash } from '../../../src/audit/chain.js';
import { rotatedName } from '../../../src/audit/rotation.js';
import { AuditWriter } from '../../../src/audit/writer.js';
import { decision, expectChained, lines, records, signingKey, tempDir, trailIn, waitFor } from './fixtures.js';

const ROTATED = /^audit\.\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}Z\.\d{6,}\.jsonl$/;

async function fill(writer: AuditWriter, n: number, prefix = 'r'): Promise<void> {
  for (let i = 0; i < n; i++) await writer.append(decision(`${prefix}-${i}`));
}

describe('rotation', () => {
  it('names a rotated file by its closing time and first seq', () => {
    expect(rotatedName('/var/log/rg/audit.jsonl', new Date('2026-11-29T10:00:00.123Z'), 1)).toBe('audit.2026-11-29T10-00-00Z.000001.jsonl');
    expect(rotatedName('/x/trail', new Date('2026-11-29T10:00:00Z'), 1234567)).toBe('trail.2026-11-29T10-00-00Z.1234567');
  });

  it('rotates by size; each file starts by naming the last hash of the one before and ends signed', async () => {
    const dir = await tempDir();
    const key = await signingKey(dir);
    const file = join(dir, 'audit.jsonl');
    const writer = await AuditWriter.open({ file, rotate_bytes: 2048, signing_key_file: key.privateFile, checkpoint_every_records: 1000 });
    await fill(writer, 40);
    await writer.close();
    const files = await trailIn(dir);
    const rotated = files.filter((f) => basename(f) !== 'audit.jsonl');
    expect(rotated.length).toBeGreaterThanOrEqual(4);
    for (const f of rotated) expect(basename(f)).toMatch(ROTATED);

    const byFirstSeq = await Promise.all(files.map(async (f) => ({ f, recs: await records(f), text: await lines(f) })));
    byFirstSeq.sort((a, b) => (a.recs[0]?.seq ?? 0) - (b.recs[0]?.seq ?? 0));
    for (let i = 1; i < byFirstSeq.length; i++) {
      const before = byFirstSeq[i - 1]!;
      expect(byFirstSeq[i]!.recs[0]?.prev).toBe(lineHash(before.text.at(-1) ?? ''));
      // A rotated file ends signed, so it can be checked on its own.
      expect(before.recs.at(-1)?.kind).toBe('checkpoint');
    }
    const all = await expectChained(files);
    expect(all.filter((r) => r.kind === 'decision')).toHaveLength(40);
    expect(all.at(-1)?.kind).toBe('checkpoint');
  });

  it('rotates on time, even when no record comes', async () => {
    const dir = await tempDir();
    const file = join(dir, 'audit.jsonl');
    const writer = await AuditWriter.open({ file, rotate_interval_seconds: 0.1 });
    await writer.append(decision('a'));
    await waitFor(async () => (await trailIn(dir)).length === 2);
    expect(await readFile(file, 'utf8')).toBe('');
    await writer.append(decision('b'));
    await writer.close();
    expect((await expectChained(await trailIn(dir))).map((r) => r.request_id)).toEqual(['a', 'b']);
    expect((await records(file)).map((r) => [r.seq, r.request_id])).toEqual([[2, 'b']]);
  });

  it("counts a file's age for time rotation from its first record, not from when it was created empty", async () => {
    const dir = await tempDir();
    const file = join(dir, 'audit.jsonl');
    let now = Date.parse('2026-11-29T10:00:00Z');
    const writer = await AuditWriter.open({ file, rotate_interval_seconds: 60 }, { clock: () => new Date(now) });
    now += 120_000; // idle and empty: nothing to rotate
    await writer.append(decision('a'));
    now += 30_000;
    await writer.append(decision('b'));
    now += 31_000;
    await writer.append(decision('c'));
    await writer.close();
    const files = await trailIn(dir);
    const byFile = await Promise.all(files.map(async (f) => (await records(f)).map((r) => r.request_id)));
    expect(byFile.sort()).toEqual([['a', 'b'], ['c']]);
  });

  it('keeps only retain_files rotated files, deleting the oldest', async () => {
    const dir = await tempDir();
    const file = join(dir, 'audit.jsonl');
    const writer = await AuditWriter.open({ file, rotate_bytes: 1024, retain_files: 2 });
    await fill(writer, 30);
    await writer.close();
    const files = await trailIn(dir);
    expect(files.filter((f) => basename(f) !== 'audit.jsonl')).toHaveLength(2);
    const kept = await expectChained(files, { fromGenesis: false });
    expect(kept.at(-1)?.seq).toBe(30);
    expect(kept[0]?.seq).toBeGreaterThan(1);
  });

  it('continues the chain from the newest rotated file when the live file is empty or gone after a restart', async () => {
    const dir = await tempDir();
    const file = join(dir, 'audit.jsonl');
    const first = await AuditWriter.open({ file, rotate_interval_seconds: 0.05 });
    await first.append(decision('a'));
    await waitFor(async () => (await trailIn(dir)).length === 2);
    await first.close();
    await rm(file); // as if the process stopped between the rename and creating the new file
    const second = await AuditWriter.open({ file });
    await second.append(decision('b'));
    await second.close();
    expect((await expectChained(await trailIn(dir))).map((r) => [r.seq, r.request_id])).toEqual([[1, 'a'], [2, 'b']]);
  });
});
