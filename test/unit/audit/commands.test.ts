// The `residency-gate audit …` commands, called in-process with captured output.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { beforeAll, describe, expect, it } from 'vitest';
import { AuditWriter } from '../../../src/audit/writer.js';
import { runAudit } from '../../../src/cli/audit/index.js';
import { csvCell } from '../../../src/cli/audit/export.js';
import { decision, lines, payload, signingKey, tempDir, type KeyFiles } from './fixtures.js';

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

async function audit(...argv: string[]): Promise<Run> {
  const out = new PassThrough();
  const err = new PassThrough();
  const chunks = { out: [] as Buffer[], err: [] as Buffer[] };
  out.on('data', (c: Buffer) => chunks.out.push(c));
  err.on('data', (c: Buffer) => chunks.err.push(c));
  const code = await runAudit(argv, { stdout: out, stderr: err });
  return { code, stdout: Buffer.concat(chunks.out).toString('utf8'), stderr: Buffer.concat(chunks.err).toString('utf8') };
}

let dir: string;
let file: string;
let key: KeyFiles;

beforeAll(async () => {
  dir = await tempDir();
  file = join(dir, 'audit.jsonl');
  key = await signingKey(dir);
  let now = Date.parse('2026-11-29T10:00:00Z');
  const writer = await AuditWriter.open({ file, signing_key_file: key.privateFile, checkpoint_every_records: 4, checkpoint_every_seconds: 86_400 }, { clock: () => new Date(now) });
  const steps: Array<() => Promise<void>> = [
    () => writer.append(decision('eu-1')),
    () => writer.append(payload('eu-1')),
    () => writer.append(decision('us-1', { target: 'analytics-us', target_region: 'us-east-1', decision: 'deny', code: 'RESIDENCY_CROSS_REGION', rule: 'cross-region-default-deny', path: '/=cmd|calc' })),
    () => writer.append(decision('us-2', { origin_region: 'us-east-1', target: 'analytics-us', target_region: 'us-east-1' })),
    () => writer.append(decision('anon', { subject: null, issuer: null, origin_region: null, decision: 'deny', code: 'TOKEN_MISSING', rule: null })),
  ];
  for (const step of steps) {
    await step();
    now += 60 * 60 * 1000; // one record an hour
  }
  await writer.close();
});

describe('audit verify', () => {
  it('says OK, with the files and checkpoints, and exits 0', async () => {
    const r = await audit('verify', file, '--key', key.publicFile);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^OK: 7 record\(s\), seq 1–7, in 1 file\(s\); 2 checkpoint\(s\), 2 signature\(s\) verified/);
    expect(r.stdout).toContain('not covered by a checkpoint yet: 0 record(s)');
  });

  it('names the first bad line and why, and exits 1; --json gives the same as data', async () => {
    const copy = join(dir, 'tampered.jsonl');
    const text = await lines(file);
    text[2] = (text[2] ?? '').replace('"deny"', '"allow"');
    await writeFile(copy, `${text.join('\n')}\n`);
    const r = await audit('verify', copy, '--key', key.publicFile);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`FAILED: ${copy}:3: edited:`);
    const json = await audit('verify', copy, '--json');
    expect(JSON.parse(json.stdout)).toMatchObject({ ok: false, problem: { file: copy, line: 3, reason: 'edited' } });
  });

  it('exits 0 with a warning for a torn last line', async () => {
    const copy = join(dir, 'torn.jsonl');
    await writeFile(copy, `${(await lines(file)).join('\n')}\n{"seq":8,"ts":"2026-`);
    const r = await audit('verify', copy, '--key', key.publicFile);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`warning: ${copy}:8: torn last line`);
  });

  it('exits 2 on usage errors', async () => {
    expect((await audit('verify')).code).toBe(2);
    expect((await audit('verify', file, '--max-uncovered', '5')).stderr).toMatch(/--max-uncovered needs --key/);
    expect((await audit('verify', file, '--bogus')).code).toBe(2);
    expect((await audit('frobnicate')).code).toBe(2);
    expect((await audit('toString')).code).toBe(2);
  });
});

describe('audit export', () => {
  it('writes the records of a time range as JSON lines, checkpoints aside', async () => {
    const r = await audit('export', file, '--from', '2026-11-29T11:00:00Z', '--to', '2026-11-29T13:00:00Z');
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split('\n').map((l) => (JSON.parse(l) as { request_id: string; kind: string }).request_id)).toEqual(['eu-1', 'us-1']);
    expect(r.stderr).toMatch(/exported 2 record\(s\)/);
  });

  it('filters by region, origin or target', async () => {
    const r = await audit('export', dir, '--region', 'us-east-1');
    const ids = r.stdout.trim().split('\n').map((l) => (JSON.parse(l) as { request_id: string }).request_id);
    expect(new Set(ids)).toEqual(new Set(['us-1', 'us-2']));
  });

  it('writes CSV with one column per field, payload digests flattened', async () => {
    const r = await audit('export', file, '--format', 'csv');
    const rows = r.stdout.trimEnd().split('\r\n');
    const header = rows[0]?.split(',') ?? [];
    expect(header.slice(0, 4)).toEqual(['seq', 'ts', 'kind', 'request_id']);
    const payloadRow = rows.find((row) => row.includes(',payload,'))?.split(',') ?? [];
    expect(payloadRow[header.indexOf('request_bytes_received')]).toBe('120');
    expect(payloadRow[header.indexOf('masked_request')]).toBe('email=2');
    expect(rows).toHaveLength(6);
  });

  it('quotes CSV cells and defuses spreadsheet formulas from caller-controlled fields', () => {
    expect(csvCell('=cmd|calc')).toBe("'=cmd|calc");
    expect(csvCell('a,"b"')).toBe('"a,""b"""');
    expect(csvCell(null)).toBe('');
    expect(csvCell(-1)).toBe('-1');
  });

  it('rejects a time that is not RFC 3339 or a date', async () => {
    const r = await audit('export', file, '--from', 'yesterday');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--from expects an RFC 3339 time/);
  });
});

describe('audit report', () => {
  it('counts decisions by origin × target region × decision', async () => {
    const r = await audit('report', file);
    expect(r.code).toBe(0);
    const rows = r.stdout.split('\n').map((l) => l.trim().split(/\s{2,}/));
    expect(rows).toContainEqual(['eu-west-1', 'eu-west-1', '1', '0', '1']);
    expect(rows).toContainEqual(['eu-west-1', 'us-east-1', '0', '1', '1']);
    expect(rows).toContainEqual(['us-east-1', 'us-east-1', '1', '0', '1']);
    expect(rows).toContainEqual(['-', 'eu-west-1', '0', '1', '1']);
    expect(rows).toContainEqual(['total', '2', '2', '4']);
  });
});

describe('audit show', () => {
  it("tells one request's story: the decision, then the payload", async () => {
    const r = await audit('show', 'eu-1', file);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^request eu-1\n {2}2026-11-29T10:00:00.000Z {2}seq 1 {2}decision {2}ALLOW \(rule same-region\)\n/);
    expect(r.stdout).toMatch(/seq 2 {2}payload {3}complete, masking profile default\n\s+request {2}received 120 B sha256 aaaaaaaaaaaa…, delivered 100 B sha256 bbbbbbbbbbbb…; masked email×2\n\s+response \(no body\)/);
  });

  it('exits 1 when no record names the request', async () => {
    const r = await audit('show', 'nobody', file);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/no record for request nobody/);
  });
});
