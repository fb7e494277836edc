// Through a real Envoy running envoy/envoy.yaml: residency-gate decides, Envoy enforces, and the
// recording upstreams show what actually crossed.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { testConfigYaml } from '../support/config.js';
import { startEnvoy, type RunningEnvoy } from '../support/envoy.js';
import { renderEnvoyConfig } from '../support/envoy-config.js';
import { readAuditRecords } from '../support/audit-records.js';
import { rawRequest } from '../support/http.js';
import { createTestIssuer, unsignedToken, ISSUER, AUDIENCE, type TestIssuer } from '../support/issuer.js';
import { startResidencyGate, type RunningGate } from '../support/residency-gate.js';
import { startRecordingUpstream, type RecordingUpstream } from '../support/upstream.js';

let issuer: TestIssuer;
let gate: RunningGate;
let envoy: RunningEnvoy;
let eu: RecordingUpstream;
let us: RecordingUpstream;
let auditFile: string;

beforeAll(async () => {
  issuer = await createTestIssuer();
  auditFile = join(await mkdtemp(join(tmpdir(), 'rg-e2e-')), 'audit.jsonl');
  [gate, eu, us] = await Promise.all([startResidencyGate(testConfigYaml(issuer, auditFile)), startRecordingUpstream('eu'), startRecordingUpstream('us')]);
  envoy = await startEnvoy({
    envoyBin: inject('envoyBin'),
    config: renderEnvoyConfig({ listenerPort: 0, adminPort: 0, authzPort: gate.port, upstreams: { eu: eu.port, us: us.port } }),
  });
});

afterAll(async () => {
  await envoy?.stop();
  await gate?.stop();
  await Promise.all([eu?.close(), us?.close()]);
});

const get = (path: string, headers: Record<string, string> = {}) => rawRequest({ port: envoy.listenerPort ?? 0, path, headers });
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const seen = (upstream: RecordingUpstream, marker: string) => upstream.requests.filter((r) => r.path.includes(marker));

describe('ext_authz through Envoy', () => {
  it('lets an EU caller reach the EU target, with residency headers the upstream can trust', async () => {
    const res = await get('/eu/records?m=allow-eu', bearer(await issuer.mint({ region: 'eu-west-1' })));
    expect(res.status).toBe(200);
    const [received] = seen(eu, 'allow-eu');
    expect(received?.headers['x-residency-origin-region']).toBe('eu-west-1');
    expect(received?.headers['x-residency-target-region']).toBe('eu-west-1');
    expect(received?.headers['x-residency-decision']).toBe('allow');
  });

  it('stops an EU caller at a US target with 403 and the JSON reason; the US upstream sees nothing', async () => {
    const res = await get('/us/report?m=deny-us', bearer(await issuer.mint({ region: 'eu-west-1' })));
    expect(res.status).toBe(403);
    expect(res.headers['content-type']).toBe('application/json');
    const body = JSON.parse(res.text()) as Record<string, unknown>;
    expect(body).toMatchObject({ code: 'RESIDENCY_CROSS_REGION', origin_region: 'eu-west-1', target: 'analytics-us', target_region: 'us-east-1' });
    expect(body.request_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(seen(us, 'deny-us')).toHaveLength(0);
  });

  it('decides by authority from the policy table on the catch-all route', async () => {
    const token = await issuer.mint({ region: 'eu-west-1' });
    expect((await get('/x?m=auth-eu', { ...bearer(token), host: 'crm.eu.example.com' })).status).toBe(200);
    expect((await get('/x?m=auth-us', { ...bearer(token), host: 'api.us.example.com' })).status).toBe(403);
    expect((await get('/x?m=auth-unknown', { ...bearer(token), host: 'nobody.example.org' })).status).toBe(403);
    expect(seen(eu, 'auth-eu')).toHaveLength(1);
    expect(seen(eu, 'auth-us')).toHaveLength(0);
    expect(seen(eu, 'auth-unknown')).toHaveLength(0);
  });

  const now = () => Math.floor(Date.now() / 1000);
  it.each([
    ['no token', async () => ({}), 'TOKEN_MISSING'],
    ['a forged signature', async () => bearer(await issuer.forge({ region: 'eu-west-1' })), 'TOKEN_SIGNATURE_INVALID'],
    ['alg none', async () => bearer(unsignedToken({ iss: ISSUER, aud: AUDIENCE, sub: 'mallory', region: 'eu-west-1', exp: now() + 300 })), 'TOKEN_ALGORITHM_NOT_ALLOWED'],
    ['an expired token', async () => bearer(await issuer.mint({ region: 'eu-west-1' }, { expiresIn: now() - 120 })), 'TOKEN_EXPIRED'],
  ])('answers %s with 401, www-authenticate and the reason; the upstream sees nothing', async (name, headers, code) => {
    const marker = `m=401-${name.replace(/\W/g, '')}`;
    const res = await get(`/eu/records?${marker}`, await headers());
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toBe('Bearer error="invalid_token"');
    expect(JSON.parse(res.text())).toMatchObject({ code });
    expect(seen(eu, marker)).toHaveLength(0);
  });

  it('never lets a client-sent x-residency-* header reach the upstream', async () => {
    const res = await get('/eu/records?m=spoof', {
      ...bearer(await issuer.mint({ region: 'eu-west-1' })),
      'x-residency-origin-region': 'us-east-1',
      'x-residency-decision': 'approved',
      'x-residency-ticket': 'forged-ticket',
    });
    expect(res.status).toBe(200);
    const [received] = seen(eu, 'spoof');
    expect(received?.headers['x-residency-origin-region']).toBe('eu-west-1');
    expect(received?.headers['x-residency-decision']).toBe('allow');
    expect(received?.headers['x-residency-ticket']).toBeUndefined();
  });

  it('audits each decision with Envoy’s request id', async () => {
    const res = await get('/us/report?m=audit', bearer(await issuer.mint({ region: 'eu-west-1', sub: 'auditee' })));
    const requestId = (JSON.parse(res.text()) as { request_id: string }).request_id;
    const records = await readAuditRecords(auditFile);
    expect(records.find((r) => r.request_id === requestId)).toMatchObject({ kind: 'decision', subject: 'auditee', decision: 'deny', target: 'analytics-us' });
  });

  // Last: it stops residency-gate.
  it('fails closed: with residency-gate stopped, Envoy answers 403 and the upstream receives nothing', async () => {
    const token = await issuer.mint({ region: 'eu-west-1' });
    expect((await get('/eu/records?m=before-stop', bearer(token))).status).toBe(200);
    expect(await gate.stop()).toBe(0);
    const res = await get('/eu/records?m=after-stop', bearer(token));
    expect(res.status).toBe(403);
    expect(seen(eu, 'after-stop')).toHaveLength(0);
  });
});
