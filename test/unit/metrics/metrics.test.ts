import { mkdtemp, open, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AuditWriter } from '../../../src/audit/writer.js';
import { openFileDefault } from '../../../src/audit/trail-file.js';
import type { CheckOutcome } from '../../../src/authz/outcome.js';
import { decisionObserver, instrumentedOpenFile, jwksObserver, payloadObserver, watchAuditWriter } from '../../../src/metrics/instrument.js';
import { Metrics, recordConfigReload } from '../../../src/metrics/metrics.js';
import type { PayloadReport } from '../../../src/extproc/payload-report.js';

const facts = { requestId: 'r-secret', method: 'GET', headers: {}, hints: { authority: 'a', path: '/secret/path' } };

async function value(m: Metrics, name: string, labels: Record<string, string> = {}): Promise<number | undefined> {
  const metric = (await m.registry.getMetricsAsJSON()).find((x) => x.name === name);
  return metric?.values.find((v) => Object.entries(labels).every(([k, val]) => v.labels[k] === val))?.value;
}

describe('Metrics', () => {
  it('keeps one registry per instance, so two servers (or tests) never collide', async () => {
    const a = new Metrics({ processMetrics: false });
    const b = new Metrics({ processMetrics: false });
    a.configReloads.inc({ result: 'success' });
    expect(await value(a, 'residency_gate_config_reloads_total', { result: 'success' })).toBe(1);
    expect(await value(b, 'residency_gate_config_reloads_total', { result: 'success' })).toBe(0);
  });

  it('bounds region and issuer labels to the configured ones', () => {
    const m = new Metrics({ regions: ['eu-west-1'], issuers: ['https://iss'], processMetrics: false });
    expect(m.region('eu-west-1')).toBe('eu-west-1');
    expect(m.region('mars-1')).toBe('other');
    expect(m.region(undefined)).toBe('none');
    expect(m.issuer('https://evil')).toBe('other');
  });

  it('counts a decision with its region pair and rule, and token failures by code, without request ids or paths', async () => {
    const m = new Metrics({ regions: ['eu-west-1', 'us-east-1'], processMetrics: false });
    const observe = decisionObserver(m);
    const target = { name: 'analytics-us', region: 'us-east-1' } as CheckOutcome['target'];
    observe({ facts, identity: { issuer: 'i', subject: 'alice-secret', region: 'eu-west-1' }, target, code: 'RESIDENCY_CROSS_REGION' } as CheckOutcome, 2);
    observe({ facts, code: 'TOKEN_EXPIRED' } as CheckOutcome, 1);
    expect(await value(m, 'residency_gate_decisions_total', { outcome: 'deny', origin_region: 'eu-west-1', target_region: 'us-east-1', code: 'RESIDENCY_CROSS_REGION' })).toBe(1);
    expect(await value(m, 'residency_gate_token_verification_failures_total', { code: 'TOKEN_EXPIRED' })).toBe(1);
    const text = await m.text();
    for (const secret of ['r-secret', 'alice-secret', '/secret/path']) expect(text).not.toContain(secret);
  });

  it('counts masked values by detector and hashed bytes by direction', async () => {
    const m = new Metrics({ processMetrics: false });
    const summary = { sha256_received: 'a', sha256_delivered: 'b', bytes_received: 100, bytes_delivered: 90 };
    const report = {
      context: undefined, outcome: 'complete', code: null,
      request: { summary, masked: { email: 2, card: 0 }, profile: 'p' },
      response: null,
      upstream: null,
    } as unknown as PayloadReport;
    payloadObserver(m)(report);
    expect(await value(m, 'residency_gate_masked_values_total', { detector: 'email', direction: 'request' })).toBe(2);
    expect(await value(m, 'residency_gate_masked_values_total', { detector: 'card' })).toBeUndefined();
    expect(await value(m, 'residency_gate_hashed_bytes_total', { direction: 'request', side: 'received' })).toBe(100);
    expect(await value(m, 'residency_gate_payload_exchanges_total', { outcome: 'complete', code: 'none' })).toBe(1);
  });

  it('counts JWKS refreshes by issuer and result, and config reloads', async () => {
    const m = new Metrics({ issuers: ['https://iss'], processMetrics: false });
    jwksObserver(m)('https://iss', false);
    recordConfigReload(m, 'success');
    recordConfigReload(undefined, 'success');
    expect(await value(m, 'residency_gate_jwks_refreshes_total', { issuer: 'https://iss', result: 'failure' })).toBe(1);
    expect(await value(m, 'residency_gate_config_reloads_total', { result: 'success' })).toBe(1);
  });

  it('times the audit file writes and fdatasyncs (not the probe next to it), and reads the queue depth when scraped', async () => {
    const m = new Metrics({ processMetrics: false });
    const dir = await mkdtemp(join(tmpdir(), 'rg-metrics-'));
    const file = join(dir, 'audit.jsonl');
    const writer = await AuditWriter.open({ file }, { openFile: instrumentedOpenFile(m, file, openFileDefault) });
    watchAuditWriter(m, writer);
    await writer.append({
      kind: 'approval', ticket: 't', event: 'requested', actor: 'a', actor_issuer: 'i', request_id: 'r', subject: 'a', issuer: 'i',
      origin_region: 'eu-west-1', target: 't', target_region: 'us-east-1', comment: null, grant_expires_at: null, grant_uses: null,
    });
    await writer.close();
    const writes = (await m.registry.getSingleMetric('residency_gate_audit_write_duration_seconds')!.get()).values.find((v) => (v as { metricName?: string }).metricName?.endsWith('_count'))?.value;
    const syncs = (await m.registry.getSingleMetric('residency_gate_audit_fsync_duration_seconds')!.get()).values.find((v) => (v as { metricName?: string }).metricName?.endsWith('_count'))?.value;
    expect(writes).toBeGreaterThanOrEqual(1);
    expect(syncs).toBeGreaterThanOrEqual(1);
    expect(await value(m, 'residency_gate_audit_queue_depth')).toBe(0);
    expect((await readFile(file, 'utf8')).split('\n').length).toBeGreaterThan(1);

    const other = join(dir, 'other');
    const handle = await instrumentedOpenFile(m, file, openFileDefault)(other, 'w');
    await handle.write(Buffer.from('x'));
    await handle.close();
    expect((await m.registry.getSingleMetric('residency_gate_audit_write_duration_seconds')!.get()).values.find((v) => (v as { metricName?: string }).metricName?.endsWith('_count'))?.value).toBe(writes);
    await (await open(other)).close();
  });
});
