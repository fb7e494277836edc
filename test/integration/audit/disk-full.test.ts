// The audit trail on a filesystem that fills up: appends fail and the writer turns unwritable,
// the real server denies with AUDIT_UNAVAILABLE and reports NOT_SERVING; once space is freed, it
// recovers by itself — health SERVING, Checks allowed, the chain intact.
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Client } from '@grpc/grpc-js';
import { afterAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/config/load.js';
import { verifyTrail } from '../../../src/audit/verify.js';
import { AuditWriter } from '../../../src/audit/writer.js';
import { createLogger } from '../../../src/logging/logger.js';
import { startServer, type RunningServer } from '../../../src/server.js';
import { rawTestConfig } from '../../support/config.js';
import { authorizationClient, checkOnce, envoyCheckRequest, healthClient } from '../../support/grpc-clients.js';
import { createTestIssuer } from '../../support/issuer.js';
import { decision, records, waitFor } from '../../unit/audit/fixtures.js';
import { fillDisk, mountSmallDisk } from './small-disk.js';

type HealthClient = Client & { Check(request: { service: string }, callback: (err: Error | null, response: { status: string }) => void): void };

const disk = await mountSmallDisk();
if (!disk.ok) console.warn(`disk-full tests skipped: ${disk.reason}`);

afterAll(async () => {
  if (disk.ok) await disk.unmount();
});

/** Appends until one is refused (a partly filled page may take a few more lines first); returns the ids accepted and the error. */
async function appendUntilRefused(writer: AuditWriter, prefix: string, pauseMs = 0): Promise<{ accepted: string[]; error: Error }> {
  const accepted: string[] = [];
  for (let i = 0; i < 2000; i++) {
    try {
      await writer.append(decision(`${prefix}-${i}`));
      accepted.push(`${prefix}-${i}`);
    } catch (err) {
      return { accepted, error: err as Error };
    }
    if (pauseMs > 0) await new Promise((r) => setTimeout(r, pauseMs));
  }
  throw new Error('the disk never filled up');
}

describe.skipIf(!disk.ok)(`audit trail on a full disk (${disk.ok ? disk.kind : 'skipped'})`, () => {
  const mnt = disk.ok ? disk.dir : '';

  it('sync: append rejects with ENOSPC, the writer turns unwritable, and recovers when space is freed', async () => {
    const dir = join(mnt, 'sync');
    const file = join(dir, 'audit.jsonl');
    const writer = await AuditWriter.open({ file });
    const health: boolean[] = [];
    writer.onHealthChange((writable) => health.push(writable));
    await writer.append(decision('before'));
    const filler = await fillDisk(mnt);
    const { accepted, error } = await appendUntilRefused(writer, 'full');
    expect((error.cause as NodeJS.ErrnoException | undefined)?.code ?? (error as NodeJS.ErrnoException).code).toBe('ENOSPC');
    expect(writer.isWritable).toBe(false);
    await expect(writer.append(decision('while-full'))).rejects.toThrow(/cannot be written.*ENOSPC/);

    await rm(filler);
    await waitFor(() => writer.isWritable, 10_000);
    expect(health).toEqual([false, true]);
    await writer.append(decision('after'));
    await writer.close();
    expect((await records(file)).map((r) => r.request_id)).toEqual(['before', ...accepted, 'after']);
    expect((await verifyTrail([file])).ok).toBe(true);
    await rm(dir, { recursive: true });
  });

  it('batch: records acknowledged before the disk filled are written on recovery, in order; later appends are refused', async () => {
    const dir = join(mnt, 'batch');
    const file = join(dir, 'audit.jsonl');
    const writer = await AuditWriter.open({ file, durability: 'batch', batch_interval_ms: 10 });
    const filler = await fillDisk(mnt);
    const { accepted, error } = await appendUntilRefused(writer, 'ack', 2);
    expect(error.message).toMatch(/cannot be written.*ENOSPC/);
    expect(accepted.length).toBeGreaterThan(0);
    await rm(filler);
    await waitFor(() => writer.isWritable, 10_000);
    await writer.close();
    expect((await records(file)).map((r) => r.request_id)).toEqual(accepted);
    expect((await verifyTrail([file])).ok).toBe(true);
    await rm(dir, { recursive: true });
  });

  describe('through the real server', () => {
    let server: RunningServer | undefined;
    const clients: Client[] = [];
    afterAll(async () => {
      for (const c of clients) c.close();
      await server?.shutdown();
    });

    it('denies with AUDIT_UNAVAILABLE and reports NOT_SERVING while full; SERVING and allowing again once space is freed', async () => {
      const issuer = await createTestIssuer();
      const auditFile = join(mnt, 'server', 'audit.jsonl');
      await mkdir(join(mnt, 'server'));
      server = await startServer(parseConfig(rawTestConfig(issuer, auditFile), issuer.dir), createLogger('silent'));
      const authz = authorizationClient(server.address);
      const health = healthClient(server.address) as unknown as HealthClient;
      clients.push(authz, health);
      const status = (): Promise<string> => new Promise((resolve, reject) => health.Check({ service: '' }, (e, v) => (e ? reject(e) : resolve(v.status))));
      const token = await issuer.mint({ region: 'eu-west-1' });
      const check = async (id: string) => {
        const r = await checkOnce(authz, envoyCheckRequest({ token, authority: 'crm.eu.example.com', requestId: id }));
        return { allowed: r.http_response === 'ok_response', code: (JSON.parse(r.denied_response?.body ?? '{}') as { code?: string }).code };
      };

      expect(await check('ok-1')).toEqual({ allowed: true, code: undefined });
      expect(await status()).toBe('SERVING');

      const filler = await fillDisk(mnt);
      let first: { allowed: boolean; code?: string } | undefined;
      for (let i = 0; i < 2000 && (first === undefined || first.allowed); i++) first = await check(`fill-${i}`);
      expect(first).toEqual({ allowed: false, code: 'AUDIT_UNAVAILABLE' });
      expect(await status()).toBe('NOT_SERVING');
      expect(await check('next')).toEqual({ allowed: false, code: 'AUDIT_UNAVAILABLE' });

      await rm(filler);
      await waitFor(async () => (await status()) === 'SERVING', 10_000);
      expect(await check('ok-2')).toEqual({ allowed: true, code: undefined });
      await server.shutdown();
      server = undefined;

      const report = await verifyTrail([auditFile]);
      expect(report.ok).toBe(true);
      const ids = (await records(auditFile)).map((r) => r.request_id);
      expect(ids).toContain('ok-2');
      expect(ids).not.toContain('next');
    });
  });
});
