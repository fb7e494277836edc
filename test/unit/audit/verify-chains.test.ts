// Several chains in one set of files (one trail per worker: audit.w1.jsonl, audit.w2.jsonl and
// their rotated files): each verified on its own, and a break between two files of one chain
// still fails rather than passing for the start of another chain.
import { readFile, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { verifyTrail } from '../../../src/audit/verify.js';
import { AuditWriter } from '../../../src/audit/writer.js';
import { decision, signingKey, tempDir, trailIn } from './fixtures.js';

async function twoWorkers(records = 30) {
  const dir = await tempDir();
  const key = await signingKey(dir);
  for (const w of [1, 2]) {
    const writer = await AuditWriter.open({ file: join(dir, `audit.w${w}.jsonl`), rotate_bytes: 2048, signing_key_file: key.privateFile, checkpoint_every_records: 5 });
    for (let i = 0; i < records; i++) await writer.append(decision(`w${w}-${i}`));
    await writer.close();
  }
  return { dir, key, files: await trailIn(dir) };
}

describe('audit verify with one chain per worker', () => {
  it('verifies each chain separately and reports per chain', async () => {
    const { files, key } = await twoWorkers();
    const { loadVerifyKeys } = await import('../../../src/audit/checkpoint.js');
    const report = await verifyTrail(files, { verifier: await loadVerifyKeys(key.publicFile) });
    expect(report.problem).toBeNull();
    expect(report.ok).toBe(true);
    expect(report.chains).toHaveLength(2);
    for (const chain of report.chains!) {
      expect(chain.ok).toBe(true);
      expect(chain.firstSeq).toBe(1);
      expect(chain.files.length).toBeGreaterThan(1);
      expect(new Set(chain.files.map((f) => f.file.match(/audit\.w(\d)\./)?.[1])).size).toBe(1);
    }
    const nonEmpty = [];
    for (const f of files) if ((await readFile(f)).length > 0) nonEmpty.push(f);
    expect(report.files.map((f) => f.file).sort()).toEqual(nonEmpty.sort());
  });

  it('fails when a rotated file in the middle of one chain is missing', async () => {
    const { files } = await twoWorkers();
    const w1 = files.filter((f) => f.includes('audit.w1.') && !f.endsWith('audit.w1.jsonl'));
    expect(w1.length).toBeGreaterThan(2);
    const doomed = w1[1]!;
    await unlink(doomed);
    const report = await verifyTrail(files.filter((f) => f !== doomed));
    expect(report.ok).toBe(false);
    expect(report.problem?.reason).toBe('truncated');
  });

  it('fails when the last line of a file is changed, though the next file then links to nothing', async () => {
    const { files } = await twoWorkers();
    const first = files.find((f) => /audit\.w2\.\d{4}-.*\.000001\.jsonl$/.test(f))!;
    const lines = (await readFile(first, 'utf8')).split('\n');
    const last = lines.length - 2;
    lines[last] = lines[last]!.replace('"seq":', '"seq": ');
    await writeFile(first, lines.join('\n'));
    const report = await verifyTrail(files);
    expect(report.ok).toBe(false);
    expect(report.problem?.reason).toBe('truncated');
  });

  it('leaves a single trail as it was: no chains field', async () => {
    const dir = await tempDir();
    const writer = await AuditWriter.open({ file: join(dir, 'audit.jsonl') });
    await writer.append(decision('a'));
    await writer.close();
    const report = await verifyTrail(await trailIn(dir));
    expect(report.ok).toBe(true);
    expect(report.chains).toBeUndefined();
  });
});
