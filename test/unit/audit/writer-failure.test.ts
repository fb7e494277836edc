// Write failures, with the disk's errors injected through the writer's openFile seam: what each
// durability mode does with the entries involved, health, and recovery without a restart.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AuditWriter } from '../../../src/audit/writer.js';
import { decision, expectChained, faultyDisk, records, tempDir, waitFor } from './fixtures.js';

async function setup(durability: 'sync' | 'batch' | 'async', fault: 'write' | 'datasync' = 'write') {
  const file = join(await tempDir(), 'audit.jsonl');
  const disk = faultyDisk();
  const writer = await AuditWriter.open({ file, durability, batch_interval_ms: 10 }, { openFile: disk.openFile });
  const health: boolean[] = [];
  writer.onHealthChange((writable) => health.push(writable));
  const ids = async (): Promise<string[]> => (await records(file)).map((r) => r.request_id as string);
  return { file, disk, writer, health, ids, fault };
}

describe('AuditWriter when the disk fails', () => {
  it.each(['write', 'datasync'] as const)('sync, failing %s: rejects the entry, leaves no trace of it, turns unwritable, then recovers', async (fault) => {
    const t = await setup('sync', fault);
    await t.writer.append(decision('before'));
    t.disk.set(fault);
    await expect(t.writer.append(decision('lost'))).rejects.toThrow(/ENOSPC/);
    expect(t.writer.isWritable).toBe(false);
    expect(t.health).toEqual([false]);
    // Fail fast while broken: the next Check is denied at once rather than waiting on the disk.
    await expect(t.writer.append(decision('refused'))).rejects.toThrow(/cannot be written/);
    expect(await t.ids()).toEqual(['before']);

    t.disk.set(undefined);
    await waitFor(() => t.writer.isWritable);
    expect(t.health).toEqual([false, true]);
    await t.writer.append(decision('after'));
    await t.writer.close();
    expect(await t.ids()).toEqual(['before', 'after']);
    await expectChained([t.file]);
  });

  it('sync: every caller waiting behind the failed write is told too', async () => {
    const t = await setup('sync');
    t.disk.set('write');
    const results = await Promise.allSettled(['a', 'b', 'c', 'd'].map((id) => t.writer.append(decision(id))));
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected', 'rejected', 'rejected']);
    t.disk.set(undefined);
    await waitFor(() => t.writer.isWritable);
    await t.writer.close();
    expect(await t.ids()).toEqual([]);
  });

  it.each([
    ['batch', 'write'],
    ['batch', 'datasync'],
    ['async', 'write'],
  ] as const)('%s, failing %s: acknowledged entries are kept and written on recovery, in order; new ones are refused meanwhile', async (durability, fault) => {
    const t = await setup(durability, fault);
    await t.writer.append(decision('before'));
    await waitFor(async () => (await t.ids()).length === 1);
    await new Promise((r) => setTimeout(r, 30)); // past the batch fdatasync
    t.disk.set(fault);
    for (const id of ['a', 'b', 'c']) await t.writer.append(decision(id)); // acknowledged at once
    await waitFor(() => !t.writer.isWritable);
    expect(t.health).toEqual([false]);
    await expect(t.writer.append(decision('refused'))).rejects.toThrow(/cannot be written/);
    await new Promise((r) => setTimeout(r, 120)); // a few failed retries
    t.disk.set(undefined);
    await waitFor(() => t.writer.isWritable);
    expect(t.health).toEqual([false, true]);
    await t.writer.append(decision('d'));
    await t.writer.close();
    expect(await t.ids()).toEqual(['before', 'a', 'b', 'c', 'd']);
    await expectChained([t.file]);
  });

  it('keeps retrying while the file cannot even be reopened (EACCES), and recovers when it can', async () => {
    const t = await setup('batch');
    t.disk.set('write');
    await t.writer.append(decision('a'));
    await waitFor(() => !t.writer.isWritable);
    t.disk.set('open');
    await new Promise((r) => setTimeout(r, 150));
    expect(t.writer.isWritable).toBe(false);
    t.disk.set(undefined);
    await waitFor(() => t.writer.isWritable);
    await t.writer.close();
    expect(await t.ids()).toEqual(['a']);
  });

  it.each(['sync', 'batch', 'async'] as const)('%s: close while the disk stays broken rejects and says how many accepted records were lost', async (durability) => {
    const t = await setup(durability);
    t.disk.set('write');
    const appended = durability === 'sync' ? t.writer.append(decision('a')).catch(() => 'rejected') : t.writer.append(decision('a'));
    await appended;
    await waitFor(() => !t.writer.isWritable);
    const lost = durability === 'sync' ? 0 : 1;
    await expect(t.writer.close()).rejects.toThrow(new RegExp(`${lost} accepted record\\(s\\) were not written`));
  });
});
