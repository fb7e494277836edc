// The approval workflow end to end: an EU agent's request to a US target that an `approval` rule
// holds, through real Envoy (envoy/envoy.yaml) and residency-gate run by its CLI (file store):
// 403 with a ticket → a reviewer approves with `residency-gate approvals approve` → the same
// request passes (the upstream sees decision approved and the ticket) → residency-gate restarts and
// the grant still holds → the grant expires and the request is held again. Self-approval refused.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { approvalsSection, reviewerToken } from '../support/approvals.js';
import { readAuditRecords } from '../support/audit-records.js';
import { rawTestConfig } from '../support/config.js';
import { startEnvoy, type RunningEnvoy } from '../support/envoy.js';
import { renderEnvoyConfig } from '../support/envoy-config.js';
import { rawRequest } from '../support/http.js';
import { createTestIssuer, type TestIssuer } from '../support/issuer.js';
import { outcomesPolicy } from '../support/policies.js';
import { freePort } from '../support/ports.js';
import { startResidencyGate, type RunningGate } from '../support/residency-gate.js';
import { startRecordingUpstream, type RecordingUpstream } from '../support/upstream.js';
import { cli } from '../support/cli.js';

// Long enough for the CLI calls and a restart on a busy machine; the last test waits for it to pass.
const GRANT_SECONDS = 40;

let issuer: TestIssuer;
let gate: RunningGate;
let envoy: RunningEnvoy;
let eu: RecordingUpstream;
let us: RecordingUpstream;
let configYaml: string;
let adminUrl: string;
let auditFile: string;

beforeAll(async () => {
  issuer = await createTestIssuer();
  const dir = await mkdtemp(join(tmpdir(), 'rg-e2e-approvals-'));
  auditFile = join(dir, 'audit.jsonl');
  // Fixed ports, so that Envoy's cluster and the CLI find residency-gate again after its restart.
  const [grpcPort, adminPort] = [await freePort(), await freePort()];
  const raw = rawTestConfig(issuer, auditFile, `127.0.0.1:${grpcPort}`, 'info');
  raw.policy = outcomesPolicy();
  raw.masking = { profiles: { pii: { detectors: { email: 'redact' } } } };
  raw.admin = { listen: `127.0.0.1:${adminPort}` };
  raw.approvals = approvalsSection(issuer, { type: 'file', dir: join(dir, 'approvals') });
  configYaml = stringify(raw);
  adminUrl = `http://127.0.0.1:${adminPort}`;
  [gate, eu, us] = await Promise.all([startResidencyGate(configYaml, { workers: 1, timeoutMs: 60_000 }), startRecordingUpstream('eu'), startRecordingUpstream('us')]);
  envoy = await startEnvoy({
    envoyBin: inject('envoyBin'),
    config: renderEnvoyConfig({ listenerPort: 0, adminPort: 0, authzPort: grpcPort, upstreams: { eu: eu.port, us: us.port } }),
  });
});

afterAll(async () => {
  await envoy?.stop();
  await gate?.stop();
  await Promise.all([eu?.close(), us?.close()]);
});

const agent = async () => ({ authorization: `Bearer ${await issuer.mint({ region: 'eu-west-1', sub: 'agent-7' }, { expiresIn: '10m' })}` });
const report = async (marker: string, extra: Record<string, string> = {}) =>
  rawRequest({ port: envoy.listenerPort ?? 0, path: `/us/report?m=${marker}`, headers: { ...(await agent()), ...extra } });
const seen = (marker: string) => us.requests.filter((r) => r.path.includes(`m=${marker}`));

describe('approval through Envoy, reviewed with the CLI', () => {
  let ticket: string;

  it('holds the EU agent’s request to the US target: 403 with the ticket; nothing reaches the upstream', async () => {
    const res = await report('held', { 'x-residency-justification': 'monthly reconciliation' });
    expect(res.status).toBe(403);
    const body = JSON.parse(res.text()) as Record<string, unknown>;
    expect(body).toMatchObject({ code: 'APPROVAL_REQUIRED', ticket_state: 'pending', origin_region: 'eu-west-1', target: 'analytics-us', target_region: 'us-east-1' });
    ticket = String(body.ticket);
    expect(body.approval_url).toBe(`${adminUrl}/v1/approvals/tickets/${ticket}`);
    expect(seen('held')).toHaveLength(0);
  });

  it('lists the pending ticket for a reviewer; refuses the requester approving it', async () => {
    const rita = await reviewerToken(issuer, 'rita');
    const list = await cli('approvals', 'list', '--state', 'pending', '--token', rita, '--admin', adminUrl);
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout).toMatch(new RegExp(`${ticket}\\s+pending\\s+agent-7\\s+eu-west-1 → analytics-us`));
    expect(list.stdout).toContain('monthly reconciliation');
    const self = await cli('approvals', 'approve', ticket, '--comment', 'I need it', '--token', await reviewerToken(issuer, 'agent-7'), '--admin', adminUrl);
    expect(self.code).toBe(1);
    expect(self.stderr).toContain('SELF_APPROVAL_FORBIDDEN');
    const noComment = await cli('approvals', 'approve', ticket, '--token', rita, '--admin', adminUrl);
    expect(noComment.code).toBe(2);
    expect((await report('still-held')).status).toBe(403);
  });

  it('approved with the CLI, the same request passes; the upstream sees decision approved and the ticket', async () => {
    const ok = await cli('approvals', 'approve', ticket, '--comment', 'reconciliation signed off', '--lifetime', String(GRANT_SECONDS), '--token', await reviewerToken(issuer, 'rita'), '--admin', adminUrl);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(new RegExp(`^approved ${ticket} until \\d{4}-`));
    const res = await report('approved');
    expect(res.status).toBe(200);
    const [got] = seen('approved');
    expect(got?.headers['x-residency-decision']).toBe('approved');
    expect(got?.headers['x-residency-ticket']).toBe(ticket);
    expect(got?.headers['x-residency-justification']).toBeUndefined();
    const shown = await cli('approvals', 'show', ticket, '--token', await reviewerToken(issuer, 'rita'), '--admin', adminUrl);
    expect(shown.stdout).toMatch(/state\s+approved/);
    expect(shown.stdout).toContain('reconciliation signed off');
  });

  it('a restart of residency-gate keeps the ticket and the grant', async () => {
    await gate.stop();
    gate = await startResidencyGate(configYaml, { workers: 1, timeoutMs: 60_000 });
    await expect.poll(async () => (await report('after-restart')).status, { timeout: 10_000, interval: 200 }).toBe(200);
    expect(seen('after-restart').at(-1)?.headers['x-residency-ticket']).toBe(ticket);
  });

  it('once the grant has expired, the request is held again', async () => {
    const records = await readAuditRecords(auditFile);
    const approvedAt = Date.parse(String(records.find((r) => r.kind === 'approval' && r.event === 'approved')?.grant_expires_at));
    await sleep(Math.max(0, approvedAt - Date.now()) + 300);
    const res = await report('expired');
    expect(res.status).toBe(403);
    const body = JSON.parse(res.text()) as Record<string, unknown>;
    expect(body).toMatchObject({ code: 'APPROVAL_REQUIRED', ticket_state: 'pending' });
    expect(body.ticket).not.toBe(ticket);
    expect(seen('expired')).toHaveLength(0);
    const all = await readAuditRecords(auditFile);
    expect(all.filter((r) => r.kind === 'approval' && r.ticket === ticket).map((r) => r.event)).toEqual(expect.arrayContaining(['requested', 'approved', 'expired']));
    expect(all.find((r) => r.kind === 'decision' && r.decision === 'approved')).toMatchObject({ ticket, target: 'analytics-us' });
  });
});
