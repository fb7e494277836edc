import { appendFile, mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { lineHash } from '../../../src/audit/chain.js';
import { GENESIS_HASH, type AuditEntry } from '../../../src/audit/record.js';
import { AuditWriter } from '../../../src/audit/writer.js';

const entry = (request_id: string): AuditEntry => ({
  kind: 'decision', request_id, subject: 'alice', issuer: 'https://iss', identity_source: 'token', origin_region: 'eu-west-1', target: 't',
  target_region: 'eu-west-1', decision: 'allow', rule: 'same-region', code: null, method: 'GET', authority: 'a', path: '/',
});

async function tempFile(): Promise<string> {
  return join(await mkdtemp(join(tmpdir(), 'rg-audit-')), 'sub', 'audit.jsonl');
}

async function lines(file: string): Promise<string[]> {
  return (await readFile(file, 'utf8')).split('\n').filter((l) => l !== '');
}

describe('AuditWriter', () => {
  it('writes one chained line per entry, in order, and resolves after the write', async () => {
    const file = await tempFile();
    const writer = await AuditWriter.open(file, { clock: () => new Date('2026-11-29T10:00:00Z') });
    await Promise.all(['a', 'b', 'c'].map((id) => writer.append(entry(id))));
    await writer.close();
    const written = await lines(file);
    const records = written.map((l) => JSON.parse(l) as { seq: number; prev: string; request_id: string; ts: string });
    expect(records.map((r) => [r.seq, r.request_id])).toEqual([[1, 'a'], [2, 'b'], [3, 'c']]);
    expect(records[0]?.prev).toBe(GENESIS_HASH);
    expect(records[1]?.prev).toBe(lineHash(written[0] ?? ''));
    expect(records[2]?.prev).toBe(lineHash(written[1] ?? ''));
    expect(records[0]?.ts).toBe('2026-11-29T10:00:00.000Z');
  });

  it('continues the chain across reopen', async () => {
    const file = await tempFile();
    const first = await AuditWriter.open(file);
    await first.append(entry('a'));
    await first.close();
    const second = await AuditWriter.open(file);
    await second.append(entry('b'));
    await second.close();
    const written = await lines(file);
    const b = JSON.parse(written[1] ?? '{}') as { seq: number; prev: string };
    expect(b.seq).toBe(2);
    expect(b.prev).toBe(lineHash(written[0] ?? ''));
  });

  it('cuts off a torn last line left by a crash and links to the last whole line', async () => {
    const file = await tempFile();
    const first = await AuditWriter.open(file);
    await first.append(entry('a'));
    await first.close();
    await appendFile(file, '{"seq":2,"ts":"2026-');
    const second = await AuditWriter.open(file);
    await second.append(entry('b'));
    await second.close();
    const written = await lines(file);
    expect(written).toHaveLength(2);
    expect(JSON.parse(written[1] ?? '{}')).toMatchObject({ seq: 2, request_id: 'b', prev: lineHash(written[0] ?? '') });
  });

  it('rejects appends after close', async () => {
    const writer = await AuditWriter.open(await tempFile());
    await writer.close();
    await expect(writer.append(entry('x'))).rejects.toThrow(/closed/);
  });
});

describe('AuditWriter durability modes', () => {
  it.each(['sync', 'batch', 'async'] as const)('%s: keeps appends in order with one chain, and close makes them durable', async (durability) => {
    const file = await tempFile();
    const writer = await AuditWriter.open({ file, durability, batch_interval_ms: 5 });
    const ids = Array.from({ length: 200 }, (_, i) => `r-${i}`);
    await Promise.all(ids.map((id) => writer.append(entry(id))));
    await writer.close();
    const written = await lines(file);
    const records = written.map((l) => JSON.parse(l) as { seq: number; prev: string; request_id: string });
    expect(records.map((r) => r.request_id)).toEqual(ids);
    expect(records.map((r) => r.seq)).toEqual(ids.map((_, i) => i + 1));
    records.forEach((r, i) => expect(r.prev).toBe(i === 0 ? GENESIS_HASH : lineHash(written[i - 1] ?? '')));
  });

  it('batch: append resolves before the record is written, and the write follows within the interval', async () => {
    const file = await tempFile();
    const writer = await AuditWriter.open({ file, durability: 'batch', batch_interval_ms: 20 });
    await writer.append(entry('early'));
    await new Promise((r) => setTimeout(r, 100));
    expect((await lines(file)).map((l) => (JSON.parse(l) as { request_id: string }).request_id)).toEqual(['early']);
    await writer.close();
  });

  it('stamps ts when the entry is appended, not when it is written', async () => {
    const file = await tempFile();
    let now = Date.parse('2026-11-29T10:00:00Z');
    const writer = await AuditWriter.open({ file, durability: 'async' }, { clock: () => new Date(now) });
    const pending = writer.append(entry('a'));
    now += 60_000;
    await pending;
    await writer.close();
    expect(JSON.parse((await lines(file))[0] ?? '{}')).toMatchObject({ ts: '2026-11-29T10:00:00.000Z' });
  });
});
