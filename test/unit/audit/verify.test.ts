// Tampering, each caught at the right line with the right reason; and what is not tampering (a
// torn last line) reported as a warning.
import { readFile, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { lineHash } from '../../../src/audit/chain.js';
import { loadSigningKey, loadVerifyKeys, type CheckpointVerifier } from '../../../src/audit/checkpoint.js';
import { GENESIS_HASH } from '../../../src/audit/record.js';
import { verifyTrail } from '../../../src/audit/verify.js';
import { AuditWriter } from '../../../src/audit/writer.js';
import { decision, lines, signingKey, tempDir, trailIn, type KeyFiles } from './fixtures.js';

let key: KeyFiles;
let verifier: CheckpointVerifier;

beforeAll(async () => {
  key = await signingKey(await tempDir());
  verifier = await loadVerifyKeys(key.publicFile);
});

/** 20 decisions with a checkpoint after every 5th: lines 1–5, 6 (checkpoint), 7–11, 12, 13–17, 18, 19–20, 21 (on close). */
async function trail(extra: { rotate_bytes?: number } = {}): Promise<{ dir: string; file: string }> {
  const dir = await tempDir();
  const file = join(dir, 'audit.jsonl');
  const writer = await AuditWriter.open({ file, signing_key_file: key.privateFile, checkpoint_every_records: 5, ...extra });
  for (let i = 1; i <= 20; i++) await writer.append(decision(`r-${i}`, { decision: i % 3 === 0 ? 'deny' : 'allow' }));
  await writer.close();
  return { dir, file };
}

const save = (file: string, text: readonly string[]): Promise<void> => writeFile(file, `${text.join('\n')}\n`);

/** What someone without the key can do: fix every prev (and checkpoint head/count) after an edit. */
function rechain(text: readonly string[]): string[] {
  let prev = GENESIS_HASH;
  return text.map((line, i) => {
    const r = JSON.parse(line) as Record<string, unknown>;
    r.seq = i + 1;
    r.prev = prev;
    if (r.kind === 'checkpoint') Object.assign(r, { head: prev, count: i });
    const out = JSON.stringify(r);
    prev = lineHash(out);
    return out;
  });
}

const edit = (line: string, change: (r: Record<string, unknown>) => void): string => {
  const r = JSON.parse(line) as Record<string, unknown>;
  change(r);
  return JSON.stringify(r);
};

describe('audit verify', () => {
  it('passes an untouched trail: every checkpoint verified, nothing uncovered', async () => {
    const { file } = await trail();
    expect(await verifyTrail([file], { verifier })).toMatchObject({ ok: true, records: 24, checkpoints: 4, signedCheckpoints: 4, uncovered: 0, trail: 'audit.jsonl', warnings: [] });
  });

  it('follows the chain across rotated files given in any order, by their records, not their names', async () => {
    const { dir } = await trail({ rotate_bytes: 2048 });
    const files = await trailIn(dir);
    expect(files.length).toBeGreaterThan(3);
    const report = await verifyTrail([...files].reverse(), { verifier });
    expect(report).toMatchObject({ ok: true, firstSeq: 1, uncovered: 0 });
    const firstSeqs = report.files.map((f) => f.firstSeq ?? 0);
    expect(firstSeqs).toEqual([...firstSeqs].sort((a, b) => a - b));
  });

  it('accepts a set that starts mid-trail (older files deleted by retention) with a warning', async () => {
    const { dir } = await trail({ rotate_bytes: 2048 });
    const ordered = (await verifyTrail(await trailIn(dir))).files.map((f) => f.file);
    const report = await verifyTrail(ordered.slice(1), { verifier });
    expect(report.ok).toBe(true);
    expect(report.firstSeq).toBeGreaterThan(1);
    expect(report.warnings.map((w) => w.kind)).toEqual(['starts-mid-trail']);
  });

  it.each([
    ['a flipped byte in a value', 3, (l: string) => l.replace('"alice"', '"alicf"')],
    ['a flipped byte in prev', 3, (l: string) => l.replace(/"prev":"(.)/, (_m, c: string) => `"prev":"${c === 'a' ? 'b' : 'a'}`)],
    ['a flipped byte in seq', 9, (l: string) => l.replace('"seq":9', '"seq":7')],
  ])('finds %s at its line: edited', async (_name, lineNo, change) => {
    const { file } = await trail();
    const text = await lines(file);
    text[lineNo - 1] = change(text[lineNo - 1] ?? '');
    await save(file, text);
    expect((await verifyTrail([file], { verifier })).problem).toMatchObject({ file, line: lineNo, reason: 'edited' });
  });

  it('finds a deleted line: deleted, at the line after the gap', async () => {
    const { file } = await trail();
    const text = await lines(file);
    text.splice(7, 1); // line 8, seq 8
    await save(file, text);
    const { problem } = await verifyTrail([file], { verifier });
    expect(problem).toMatchObject({ file, line: 8, reason: 'deleted' });
    expect(problem?.message).toMatch(/record seq 8 is deleted/);
  });

  it.each([
    ['adjacent', 3, 4],
    ['three apart', 2, 5],
  ])('finds two swapped lines (%s): reordered, at the first moved line', async (_name, a, b) => {
    const { file } = await trail();
    const text = await lines(file);
    [text[a - 1], text[b - 1]] = [text[b - 1] ?? '', text[a - 1] ?? ''];
    await save(file, text);
    expect((await verifyTrail([file], { verifier })).problem).toMatchObject({ file, line: a, reason: 'reordered' });
  });

  it('finds a rotated file cut short at a line boundary: truncated, at the first line of the next file', async () => {
    const { dir } = await trail({ rotate_bytes: 2048 });
    const [oldest, second] = await trailIn(dir).then(async (files) => {
      const report = await verifyTrail(files, { verifier });
      expect(report.ok).toBe(true);
      return report.files.map((f) => f.file);
    });
    const text = await lines(oldest ?? '');
    await save(oldest ?? '', text.slice(0, -2));
    expect((await verifyTrail(await trailIn(dir), { verifier })).problem).toMatchObject({ file: second, line: 1, reason: 'truncated' });
  });

  it('finds a rotated file cut inside a line: truncated; the same cut in the last file is a torn write, a warning', async () => {
    const { dir } = await trail({ rotate_bytes: 2048 });
    const ordered = (await verifyTrail(await trailIn(dir))).files.map((f) => f.file);
    const oldest = ordered[0] ?? '';
    const oldestLines = (await lines(oldest)).length;
    await truncate(oldest, (await readFile(oldest)).length - 10);
    expect((await verifyTrail(await trailIn(dir), { verifier })).problem).toMatchObject({ file: oldest, line: oldestLines, reason: 'truncated' });

    const single = await trail();
    const liveLines = (await lines(single.file)).length;
    await truncate(single.file, (await readFile(single.file)).length - 10);
    const report = await verifyTrail([single.file], { verifier });
    expect(report.ok).toBe(true);
    expect(report.warnings).toContainEqual(expect.objectContaining({ kind: 'torn', file: single.file, line: liveLines }));
  });

  it('finds a checkpoint re-signed with another key: bad-signature', async () => {
    const { file } = await trail();
    const text = await lines(file);
    const other = await loadSigningKey((await signingKey(await tempDir(), 'mallory')).privateFile);
    const cp = JSON.parse(text[11] ?? '') as { head: string; count: number; ts: string };
    const jws = await other.sign({ head: cp.head, seq: cp.count, ts: cp.ts, file: 'audit.jsonl' });
    text[11] = edit(text[11] ?? '', (r) => void (r.jws = jws));
    await save(file, rechain(text));
    expect((await verifyTrail([file], { verifier })).problem).toMatchObject({ file, line: 12, reason: 'bad-signature' });
  });

  it('catches a consistent rewrite of the whole file without the key: at the first checkpoint, bad-signature', async () => {
    const { file } = await trail();
    const text = await lines(file);
    text[2] = edit(text[2] ?? '', (r) => void (r.decision = 'allow')); // seq 3 was a deny
    await save(file, rechain(text));
    expect((await verifyTrail([file], { verifier })).problem).toMatchObject({ file, line: 6, reason: 'bad-signature' });
    // Without the key the rewrite holds together: only the signature can tell.
    const unkeyed = await verifyTrail([file]);
    expect(unkeyed.ok).toBe(true);
    expect(unkeyed.warnings.map((w) => w.kind)).toContain('unverified-checkpoints');
  });

  it('catches a rewrite that drops the checkpoints: uncovered', async () => {
    const { file } = await trail();
    const text = await lines(file);
    await save(file, rechain(text.filter((l) => !l.includes('"kind":"checkpoint"'))));
    expect((await verifyTrail([file], { verifier })).problem).toMatchObject({ file, line: 1, reason: 'uncovered' });
    const unkeyed = await verifyTrail([file]);
    expect(unkeyed.ok).toBe(true);
    expect(unkeyed.warnings.map((w) => w.kind)).toContain('no-checkpoints');
  });

  it('with --max-uncovered, catches a rewrite that keeps the first checkpoints and drops the rest', async () => {
    const { file } = await trail();
    const text = await lines(file);
    const kept = text.filter((l, i) => i < 6 || !l.includes('"kind":"checkpoint"'));
    kept[10] = edit(kept[10] ?? '', (r) => void (r.subject = 'mallory'));
    await save(file, [...kept.slice(0, 6), ...rechain(kept).slice(6)]);
    const lenient = await verifyTrail([file], { verifier });
    expect(lenient.ok).toBe(true);
    expect(lenient.uncovered).toBe(15);
    expect((await verifyTrail([file], { verifier, maxUncovered: 5 })).problem).toMatchObject({ file, line: 12, reason: 'uncovered' });
  });

  it('reports records no checkpoint covers yet (a running or crashed writer) without failing', async () => {
    const dir = await tempDir();
    const file = join(dir, 'audit.jsonl');
    const writer = await AuditWriter.open({ file, signing_key_file: key.privateFile, checkpoint_every_records: 5 });
    for (let i = 0; i < 8; i++) await writer.append(decision(`r-${i}`));
    const report = await verifyTrail([file], { verifier });
    expect(report).toMatchObject({ ok: true, uncovered: 3, signedCheckpoints: 1 });
    expect(report.warnings).toContainEqual(expect.objectContaining({ kind: 'uncovered', message: expect.stringMatching(/does not end with a checkpoint/) }));
    await writer.close();
  });

  it('says a trail without checkpoints is protected by its chain only', async () => {
    const file = join(await tempDir(), 'audit.jsonl');
    const writer = await AuditWriter.open({ file });
    await writer.append(decision('a'));
    await writer.close();
    const report = await verifyTrail([file]);
    expect(report.ok).toBe(true);
    expect(report.warnings.map((w) => w.kind)).toEqual(['no-checkpoints']);
  });
});
