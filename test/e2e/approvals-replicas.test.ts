// Two residency-gate processes behind one Envoy cluster (each `serve --workers 2`, so four workers
// and two primaries serving the approvals API), sharing a real redis-server: a ticket approved on
// one passes requests whichever process Envoy asks, a one-use grant lets exactly one of 100
// concurrent requests reach the upstream, and with Redis stopped approval decisions fail closed
// while same-region traffic flows.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseDocument, stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { approvalsSection, reviewerToken } from '../support/approvals.js';
import { readAuditRecords } from '../support/audit-records.js';
import { rawTestConfig } from '../support/config.js';
import { startEnvoy, type RunningEnvoy } from '../support/envoy.js';
import { renderEnvoyConfig } from '../support/envoy-config.js';
import { rawRequest } from '../support/http.js';
import { createTestIssuer, type TestIssuer } from '../support/issuer.js';
import { outcomesPolicy } from '../support/policies.js';
import { startRedis, warnIfNoRedis, type RunningRedis } from '../support/redis.js';
import { startResidencyGate, type RunningGate } from '../support/residency-gate.js';
import { startRecordingUpstream, type RecordingUpstream } from '../support/upstream.js';
import { cli } from '../support/cli.js';

const haveRedis = warnIfNoRedis('the two-process approvals e2e test (test/e2e/approvals-replicas.test.ts)');

let issuer: TestIssuer;
let redis: RunningRedis;
const gates: RunningGate[] = [];
const admins: string[] = [];
const auditFiles: string[] = [];
let envoy: RunningEnvoy;
let eu: RecordingUpstream;
let us: RecordingUpstream;

/**
 * envoy.yaml with the residency_gate cluster (ext_authz and ext_proc) pointing at both processes.
 * RANDOM: with round robin, each request's Check and ext_proc stream would alternate, so every
 * Check would land on the same process.
 */
function twoEndpoints(config: string, ports: readonly number[]): string {
  const doc = parseDocument(config);
  const clusters = doc.getIn(['static_resources', 'clusters']) as { items: Array<{ get(k: string): unknown }> };
  for (const name of ['residency_gate', 'residency_gate_ext_proc']) {
    const index = clusters.items.findIndex((c) => c.get('name') === name);
    if (index < 0) continue;
    doc.setIn(['static_resources', 'clusters', index, 'lb_policy'], 'RANDOM');
    doc.setIn(['static_resources', 'clusters', index, 'load_assignment', 'endpoints', 0, 'lb_endpoints'],
      doc.createNode(ports.map((port) => ({ endpoint: { address: { socket_address: { address: '127.0.0.1', port_value: port } } } }))));
  }
  // 100 concurrent Checks on a busy test machine: give them time, or a Check that took the grant's
  // one use could time out at Envoy (403) and the upstream would see none.
  const filters = doc.getIn(['static_resources', 'listeners', 0, 'filter_chains', 0, 'filters', 0, 'typed_config', 'http_filters']) as { items: Array<{ get(k: string): unknown }> };
  const authz = filters.items.findIndex((f) => f.get('name') === 'envoy.filters.http.ext_authz');
  doc.setIn(['static_resources', 'listeners', 0, 'filter_chains', 0, 'filters', 0, 'typed_config', 'http_filters', authz, 'typed_config', 'grpc_service', 'timeout'], '10s');
  return doc.toString();
}

beforeAll(async () => {
  if (!haveRedis) return;
  issuer = await createTestIssuer();
  redis = await startRedis();
  [eu, us] = await Promise.all([startRecordingUpstream('eu'), startRecordingUpstream('us')]);
  for (const name of ['a', 'b']) {
    const dir = await mkdtemp(join(tmpdir(), `rg-e2e-replica-${name}-`));
    const auditFile = join(dir, 'audit.jsonl');
    const raw = rawTestConfig(issuer, auditFile, '127.0.0.1:0', 'info');
    raw.policy = outcomesPolicy();
    raw.masking = { profiles: { pii: { detectors: { email: 'redact' } } } };
    raw.approvals = approvalsSection(issuer, { type: 'redis', url: redis.url, key_prefix: `e2e-${process.pid}:`, command_timeout_ms: 500, connect_timeout_ms: 1000 });
    const gate = await startResidencyGate(stringify(raw), { workers: 2, timeoutMs: 60_000 });
    const admin = /"admin":"([^"]+)"[^\n]*"msg":"residency-gate serving"/.exec(gate.logs())?.[1];
    if (admin === undefined) throw new Error(`no admin URL in:\n${gate.logs()}`);
    gates.push(gate);
    admins.push(admin);
    auditFiles.push(auditFile);
  }
  const base = renderEnvoyConfig({ listenerPort: 0, adminPort: 0, authzPort: gates[0]!.port, upstreams: { eu: eu.port, us: us.port } });
  envoy = await startEnvoy({ envoyBin: inject('envoyBin'), config: twoEndpoints(base, gates.map((g) => g.port)) });
});

afterAll(async () => {
  await envoy?.stop();
  await Promise.all(gates.map((g) => g.stop()));
  await Promise.all([eu?.close(), us?.close()]);
  await redis?.stop();
});

const bearer = async (sub: string, region = 'eu-west-1') => ({ authorization: `Bearer ${await issuer.mint({ region, sub }, { expiresIn: '10m' })}` });
const get = async (path: string, sub: string, region?: string) => rawRequest({ port: envoy.listenerPort ?? 0, path, headers: await bearer(sub, region) });
const seen = (marker: string) => us.requests.filter((r) => r.path.includes(`m=${marker}`));

describe.skipIf(!haveRedis)('two residency-gate processes behind one Envoy cluster, sharing Redis', () => {
  it('a ticket approved through one process lets requests through whichever process Envoy asks', async () => {
    const held = await get('/us/report?m=r-held', 'agent-1');
    expect(held.status).toBe(403);
    const ticket = String((JSON.parse(held.text()) as { ticket: string }).ticket);
    // Asked again, through either process: the same ticket.
    const tickets = new Set<string>();
    for (let i = 0; i < 6; i++) tickets.add((JSON.parse((await get(`/us/report?m=r-again-${i}`, 'agent-1')).text()) as { ticket: string }).ticket);
    expect([...tickets]).toEqual([ticket]);
    const ok = await cli('approvals', 'approve', ticket, '--comment', 'shared grant', '--token', await reviewerToken(issuer, 'rita'), '--admin', admins[1]!);
    expect(ok.code, ok.stderr).toBe(0);
    const statuses = [];
    for (let i = 0; i < 20; i++) statuses.push((await get(`/us/report?m=r-pass-${i}`, 'agent-1')).status);
    expect(statuses.every((s) => s === 200)).toBe(true);
    expect(us.requests.filter((r) => r.path.includes('m=r-pass-')).every((r) => r.headers['x-residency-ticket'] === ticket)).toBe(true);
    // Envoy spread the calls over both processes: each one's trail has approved decisions.
    for (const file of auditFiles) {
      await expect.poll(async () => (await readAuditRecords(file)).filter((r) => r.kind === 'decision' && r.decision === 'approved').length, { timeout: 5000 }).toBeGreaterThan(0);
    }
    // The primary that served the approval wrote its event in its own chain.
    expect((await readAuditRecords(auditFiles[1]!)).find((r) => r.kind === 'approval' && r.event === 'approved')).toMatchObject({ ticket, actor: 'rita' });
  });

  it('a one-use grant lets exactly one of 100 concurrent requests reach the upstream', async () => {
    const held = await get('/us/report?m=o-held', 'agent-2');
    const ticket = String((JSON.parse(held.text()) as { ticket: string }).ticket);
    const ok = await cli('approvals', 'approve', ticket, '--comment', 'one export', '--uses', '1', '--token', await reviewerToken(issuer, 'rita'), '--admin', admins[0]!);
    expect(ok.code, ok.stderr).toBe(0);
    const headers = await bearer('agent-2');
    const answers = await Promise.all(Array.from({ length: 100 }, (_, i) => rawRequest({ port: envoy.listenerPort ?? 0, path: `/us/report?m=o-race-${i}`, headers })));
    expect(answers.filter((a) => a.status === 200)).toHaveLength(1);
    expect(answers.filter((a) => a.status === 403)).toHaveLength(99);
    expect(us.requests.filter((r) => r.path.includes('m=o-race-'))).toHaveLength(1);
  });

  it('Redis stopped: approval decisions fail closed with 503 APPROVALS_UNAVAILABLE; same-region traffic flows', async () => {
    await redis.stop();
    try {
      const held = await get('/us/report?m=d-held', 'agent-3');
      expect(held.status).toBe(503);
      expect(JSON.parse(held.text())).toMatchObject({ code: 'APPROVALS_UNAVAILABLE' });
      expect(seen('d-held')).toHaveLength(0);
      expect((await get('/us/report?m=d-same', 'agent-3', 'us-east-1')).status).toBe(200);
      expect((await get('/eu/records?m=d-eu', 'agent-3', 'us-east-1')).status).not.toBe(503);
    } finally {
      await redis.start();
    }
  });
});
