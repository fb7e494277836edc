// The Envoy variants users copy (envoy/*.yaml beside envoy.yaml, envoy/mtls/, envoy/compose/) are
// valid for the pinned Envoy; envoy/per-route.yaml behaves as its comments say (with ext_proc
// disabled on a route, bodies on that route pass unmasked and unhashed, while the other routes
// mask); envoy/mtls/envoy.yaml really talks mutual TLS to residency-gate's server.tls listener.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { parseDocument, stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { rawTestConfig } from '../support/config.js';
import { startEnvoy, validateEnvoyConfig, validateEnvoyConfigText, type RunningEnvoy } from '../support/envoy.js';
import { renderEnvoyConfig } from '../support/envoy-config.js';
import { readAuditRecords } from '../support/audit-records.js';
import { rawRequest } from '../support/http.js';
import { createTestIssuer, type TestIssuer } from '../support/issuer.js';
import { startResidencyGate, type RunningGate } from '../support/residency-gate.js';
import { startRecordingUpstream, type RecordingUpstream } from '../support/upstream.js';

const ENVOY_DIR = fileURLToPath(new URL('../../envoy/', import.meta.url));
const file = (name: string): string => join(ENVOY_DIR, name);
const PER_ROUTE = file('per-route.yaml');
const MTLS = file('mtls/envoy.yaml');
const CERT_PLACEHOLDER_DIR = '/etc/envoy/tls/';

describe('Envoy variants validate with the pinned Envoy', () => {
  const envoyBin = inject('envoyBin');

  it.each(['ext-authz-only.yaml', 'per-route.yaml', 'uds.yaml', 'compose/envoy.yaml'])('envoy/%s', async (name) => {
    const result = await validateEnvoyConfig(envoyBin, file(name));
    expect(result.ok, result.output).toBe(true);
  });

  // The e2e renderer (ports only) works on the variants that keep envoy.yaml's names, so they can be
  // run in tests like envoy.yaml itself.
  it.each(['ext-authz-only.yaml', 'per-route.yaml'])('envoy/%s rendered for tests', async (name) => {
    const config = renderEnvoyConfig({ source: file(name), listenerPort: 0, adminPort: 0, authzPort: 19191, upstreams: { eu: 18081, us: 18082 } });
    const result = await validateEnvoyConfigText(envoyBin, config);
    expect(result.ok, result.output).toBe(true);
  });

  describe('envoy/mtls/envoy.yaml', () => {
    let certDir: string;

    beforeAll(async () => {
      certDir = await mkdtemp(join(tmpdir(), 'rg-mtls-certs-'));
      // The script users run for throwaway certificates (needs openssl).
      await promisify(execFile)('sh', [file('mtls/gen-dev-certs.sh'), certDir], { timeout: 60_000 });
    });

    afterAll(async () => {
      if (certDir) await rm(certDir, { recursive: true, force: true });
    });

    // Envoy loads certificate files even in --mode validate; that is why this file is not a
    // top-level envoy/*.yaml (test/e2e/envoy-validate.test.ts validates those as they are).
    it.skipIf(existsSync(join(CERT_PLACEHOLDER_DIR, 'ca.crt')))('as shipped, validation fails on the missing certificate files only', async () => {
      const result = await validateEnvoyConfig(envoyBin, MTLS);
      expect(result.ok).toBe(false);
      expect(result.output).toContain(CERT_PLACEHOLDER_DIR);
    });

    it('with certificates from gen-dev-certs.sh at the placeholder paths, it validates', async () => {
      const text = await readFile(MTLS, 'utf8');
      const rendered = text.replaceAll(CERT_PLACEHOLDER_DIR, `${certDir}/`);
      for (const name of ['envoy-client.crt', 'envoy-client.key', 'ca.crt']) expect(rendered).toContain(join(certDir, name));
      expect(rendered).not.toContain(CERT_PLACEHOLDER_DIR);
      const result = await validateEnvoyConfigText(envoyBin, rendered);
      expect(result.ok, result.output).toBe(true);
    });
  });
});

// envoy/per-route.yaml through a real Envoy and residency-gate, with masking configured for both
// targets: what the upstream and the client really receive on each route. Masking rules are not
// enforced where ext_proc is disabled; allow-masked decisions are (the rbac guard refuses them).
describe('per-route.yaml: ext_proc disabled on /eu/files/ (the trap its comment warns about)', () => {
  const EMAIL = 'alice.smith@example.com';
  let issuer: TestIssuer;
  let gate: RunningGate;
  let envoy: RunningEnvoy;
  let eu: RecordingUpstream;
  let us: RecordingUpstream;
  let auditFile: string;
  let euToken: string;

  beforeAll(async () => {
    issuer = await createTestIssuer();
    auditFile = join(await mkdtemp(join(tmpdir(), 'rg-e2e-per-route-')), 'audit.jsonl');
    const raw = rawTestConfig(issuer, auditFile, '127.0.0.1:0', 'info') as { policy: Record<string, unknown>; masking?: unknown };
    raw.masking = { profiles: { pii: { detectors: { email: 'redact' } } } };
    raw.policy.masking = [{ profile: 'pii', targets: ['crm-eu', 'analytics-us'], directions: ['request', 'response'] }];
    // US callers may reach the EU CRM only with their data masked (allow-masked).
    raw.policy.rules = [{ name: 'us-to-crm-masked', from: 'us-east-1', to: 'eu-west-1', target: { name: 'crm-eu' }, outcome: 'allow-masked', profile: 'pii' }];
    [gate, eu, us] = await Promise.all([startResidencyGate(stringify(raw)), startRecordingUpstream('eu'), startRecordingUpstream('us')]);
    // Each upstream answers with the body it received, after a line that contains the address too.
    for (const upstream of [eu, us]) {
      upstream.setResponder((_req, body) => ({ headers: { 'content-type': 'text/plain' }, body: `contact ${EMAIL}\n${body.toString()}` }));
    }
    envoy = await startEnvoy({
      envoyBin: inject('envoyBin'),
      config: renderEnvoyConfig({ source: PER_ROUTE, listenerPort: 0, adminPort: 0, authzPort: gate.port, upstreams: { eu: eu.port, us: us.port } }),
    });
    euToken = await issuer.mint({ region: 'eu-west-1' });
  });

  afterAll(async () => {
    await envoy?.stop();
    await gate?.stop();
    await Promise.all([eu?.close(), us?.close()]);
  });

  const post = (path: string, token: string | undefined) =>
    rawRequest({
      port: envoy.listenerPort ?? 0,
      path,
      method: 'POST',
      body: `note for ${EMAIL}`,
      headers: { 'content-type': 'text/plain', ...(token !== undefined ? { authorization: `Bearer ${token}` } : {}) },
    });

  const auditRecords = (): Promise<Array<Record<string, unknown>>> => readAuditRecords(auditFile);

  it('on /eu/ (ext_proc on) the email is masked both ways, and a payload record is written', async () => {
    const res = await post('/eu/notes', euToken);
    expect(res.status, res.text()).toBe(200);
    const got = eu.requests.find((r) => r.path === '/eu/notes');
    expect(got?.body.toString()).toBe('note for [EMAIL]');
    expect(res.text()).toBe('contact [EMAIL]\nnote for [EMAIL]');
    const requestId = String(got?.headers['x-request-id']);
    const records = await auditRecords();
    expect(records.filter((r) => r.request_id === requestId).map((r) => r.kind).sort()).toEqual(['decision', 'payload']);
  });

  it('on /eu/files/ (ext_proc disabled) the same body reaches the upstream and the client unmasked, with no payload record', async () => {
    const res = await post('/eu/files/report.txt', euToken);
    expect(res.status, res.text()).toBe(200);
    const got = eu.requests.find((r) => r.path === '/eu/files/report.txt');
    // This is what "disabled: true" means: the upstream sees the raw address ...
    expect(got?.body.toString()).toBe(`note for ${EMAIL}`);
    // ... and so does the client, in the upstream's answer.
    expect(res.text()).toBe(`contact ${EMAIL}\nnote for ${EMAIL}`);
    // ext_authz did run (a decision record, allow), ext_proc did not (no payload record: no hashes).
    const requestId = String(got?.headers['x-request-id']);
    const records = (await auditRecords()).filter((r) => r.request_id === requestId);
    expect(records.map((r) => r.kind)).toEqual(['decision']);
    expect(records[0]).toMatchObject({ decision: 'allow', target: 'crm-eu', path: '/eu/files/report.txt' });
  });

  it('on /eu/files/ the residency decision is still enforced: no token, no upstream', async () => {
    const before = eu.requests.length;
    const res = await post('/eu/files/other.txt', undefined);
    expect(res.status).toBe(401);
    expect(eu.requests.length).toBe(before);
  });

  it('an allow-masked decision on /eu/files/ is refused by the rbac guard, and nothing reaches the upstream', async () => {
    const usToken = await issuer.mint({ region: 'us-east-1' });
    const res = await post('/eu/files/masked-only.txt', usToken);
    expect(res.status).toBe(403);
    expect(res.text()).toBe('RBAC: access denied');
    expect(eu.requests.filter((r) => r.path.includes('masked-only'))).toEqual([]);
    // The same caller and body on /eu/ (ext_proc on) passes, masked.
    const ok = await post('/eu/notes?m=masked-only', usToken);
    expect(ok.status, ok.text()).toBe(200);
    expect(eu.requests.find((r) => r.path === '/eu/notes?m=masked-only')?.body.toString()).toBe('note for [EMAIL]');
  });

  it('on /us/ (processing mode overridden to BUFFERED) bodies are still masked, and arrive with a content-length', async () => {
    const usToken = await issuer.mint({ region: 'us-east-1' });
    const res = await post('/us/notes', usToken);
    expect(res.status, res.text()).toBe(200);
    expect(res.text()).toBe('contact [EMAIL]\nnote for [EMAIL]');
    const got = us.requests.find((r) => r.path === '/us/notes');
    expect(got?.body.toString()).toBe('note for [EMAIL]');
    // BUFFERED: residency-gate answers with the whole masked body and sets its length.
    expect(got?.headers['content-length']).toBe(String(Buffer.byteLength('note for [EMAIL]')));
    // The STREAMED route, for contrast: the masked length is not known up front, the body is chunked.
    const streamed = eu.requests.find((r) => r.path === '/eu/notes');
    expect(streamed?.headers['content-length']).toBeUndefined();
    expect(streamed?.headers['transfer-encoding']).toBe('chunked');
  });
});

// envoy/mtls/envoy.yaml with the certificates gen-dev-certs.sh makes, against residency-gate
// serving mutual TLS with the matching server.tls settings (the ones docs/deployment.md shows).
describe('mtls/envoy.yaml against residency-gate with server.tls', () => {
  const EMAIL = 'carol@example.com';
  let certDir: string;
  let issuer: TestIssuer;
  let gate: RunningGate;
  let envoy: RunningEnvoy;
  let noCertEnvoy: RunningEnvoy;
  let eu: RecordingUpstream;
  let us: RecordingUpstream;

  beforeAll(async () => {
    certDir = await mkdtemp(join(tmpdir(), 'rg-mtls-e2e-'));
    await promisify(execFile)('sh', [file('mtls/gen-dev-certs.sh'), certDir], { timeout: 60_000 });
    issuer = await createTestIssuer();
    const raw = rawTestConfig(issuer, join(certDir, 'audit.jsonl'), '127.0.0.1:0', 'info') as { server: Record<string, unknown>; policy: Record<string, unknown>; masking?: unknown };
    raw.server.tls = {
      cert_file: join(certDir, 'residency-gate.crt'),
      key_file: join(certDir, 'residency-gate.key'),
      client_ca_file: join(certDir, 'ca.crt'),
      allowed_client_sans: ['DNS:envoy'],
    };
    raw.masking = { profiles: { pii: { detectors: { email: 'redact' } } } };
    raw.policy.masking = [{ profile: 'pii', targets: ['crm-eu'], directions: ['request'] }];
    [gate, eu, us] = await Promise.all([startResidencyGate(stringify(raw)), startRecordingUpstream('eu'), startRecordingUpstream('us')]);

    // The shipped file with the certificates at their placeholder paths, then the test's ports.
    const withCerts = join(certDir, 'envoy.yaml');
    await writeFile(withCerts, (await readFile(MTLS, 'utf8')).replaceAll(CERT_PLACEHOLDER_DIR, `${certDir}/`));
    const config = renderEnvoyConfig({ source: withCerts, listenerPort: 0, adminPort: 0, authzPort: gate.port, upstreams: { eu: eu.port, us: us.port } });
    // Control: the same, without Envoy's client certificate.
    const doc = parseDocument(config);
    const clusters = doc.getIn(['static_resources', 'clusters']) as { items: Array<{ get(k: string): unknown }> };
    const index = clusters.items.findIndex((c) => c.get('name') === 'residency_gate');
    doc.deleteIn(['static_resources', 'clusters', index, 'transport_socket', 'typed_config', 'common_tls_context', 'tls_certificates']);
    [envoy, noCertEnvoy] = await Promise.all([
      startEnvoy({ envoyBin: inject('envoyBin'), config }),
      startEnvoy({ envoyBin: inject('envoyBin'), config: doc.toString() }),
    ]);
  });

  afterAll(async () => {
    await Promise.all([envoy?.stop(), noCertEnvoy?.stop()]);
    await gate?.stop();
    await Promise.all([eu?.close(), us?.close()]);
    if (certDir) await rm(certDir, { recursive: true, force: true });
  });

  const post = async (port: number, marker: string) =>
    rawRequest({
      port,
      method: 'POST',
      path: `/eu/notes?m=${marker}`,
      body: `write to ${EMAIL}`,
      headers: { 'content-type': 'text/plain', authorization: `Bearer ${await issuer.mint({ region: 'eu-west-1' })}` },
    });

  it('ext_authz and ext_proc work over mutual TLS: decided, masked, delivered', async () => {
    const res = await post(envoy.listenerPort ?? 0, 'mtls');
    expect(res.status, `${res.text()}\n${envoy.logs()}`).toBe(200);
    const got = eu.requests.find((r) => r.path === '/eu/notes?m=mtls');
    expect(got?.headers['x-residency-decision']).toBe('allow');
    expect(got?.body.toString()).toBe('write to [EMAIL]');
  });

  it('without its client certificate Envoy cannot reach residency-gate, and fails closed (403, nothing upstream)', async () => {
    const res = await post(noCertEnvoy.listenerPort ?? 0, 'no-cert');
    expect(res.status).toBe(403);
    expect(eu.requests.filter((r) => r.path.includes('no-cert'))).toEqual([]);
  });
});
