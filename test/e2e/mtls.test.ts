// A real Envoy talking to residency-gate over mutual TLS (envoy/mtls/envoy.yaml with certificates
// made here): a request allowed end to end when Envoy's certificate carries an allowed name; the
// same Envoy refused (403, nothing upstream) by a residency-gate whose allow-list names someone
// else; and residency-gate's certificate renewed on disk while Envoy keeps being served.
import { copyFile, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { rawTestConfig } from '../support/config.js';
import { startEnvoy, type RunningEnvoy } from '../support/envoy.js';
import { renderEnvoyConfig } from '../support/envoy-config.js';
import { rawRequest } from '../support/http.js';
import { createTestIssuer, type TestIssuer } from '../support/issuer.js';
import { createPki, type Issued, type Pki } from '../support/pki.js';
import { startResidencyGate, type RunningGate } from '../support/residency-gate.js';
import { startRecordingUpstream, type RecordingUpstream } from '../support/upstream.js';

const MTLS = fileURLToPath(new URL('../../envoy/mtls/envoy.yaml', import.meta.url));
const SERVER_NAME = 'residency-gate.internal';

let pki: Pki;
let ca: Issued;
let client: Issued;
let issuer: TestIssuer;
let eu: RecordingUpstream;
let us: RecordingUpstream;
const gates: RunningGate[] = [];
const envoys: RunningEnvoy[] = [];

beforeAll(async () => {
  pki = createPki();
  ca = pki.ca('ca');
  const server = pki.issue(ca, 'residency-gate', 'server', [`DNS:${SERVER_NAME}`, 'DNS:localhost', 'IP:127.0.0.1']);
  client = pki.issue(ca, 'envoy', 'client', ['DNS:envoy', 'URI:spiffe://test.example/ns/edge/sa/envoy']);
  // The names envoy/mtls/envoy.yaml expects under /etc/envoy/tls/, and live copies residency-gate reads.
  await Promise.all([
    copyFile(client.certFile, join(pki.dir, 'envoy-client.crt')),
    copyFile(client.keyFile, join(pki.dir, 'envoy-client.key')),
    copyFile(server.certFile, join(pki.dir, 'live.crt')),
    copyFile(server.keyFile, join(pki.dir, 'live.key')),
  ]);
  issuer = await createTestIssuer();
  [eu, us] = await Promise.all([startRecordingUpstream('eu'), startRecordingUpstream('us')]);
});

afterAll(async () => {
  await Promise.all(envoys.map((e) => e.stop()));
  await Promise.all(gates.map((g) => g.stop()));
  await Promise.all([eu?.close(), us?.close()]);
});

async function gateWith(allowed: string[], name: string): Promise<RunningGate> {
  const raw = rawTestConfig(issuer, join(pki.dir, `audit-${name}.jsonl`), '127.0.0.1:0', 'info') as { server: Record<string, unknown> };
  raw.server.tls = {
    cert_file: join(pki.dir, 'live.crt'),
    key_file: join(pki.dir, 'live.key'),
    client_ca_file: ca.certFile,
    allowed_client_sans: allowed,
    reload_interval_ms: 200,
  };
  const gate = await startResidencyGate(stringify(raw));
  gates.push(gate);
  return gate;
}

async function envoyFor(gate: RunningGate): Promise<RunningEnvoy> {
  const source = join(pki.dir, `envoy-${gate.port}.yaml`);
  const text = (await readFile(MTLS, 'utf8')).replaceAll('/etc/envoy/tls/ca.crt', ca.certFile).replaceAll('/etc/envoy/tls/', `${pki.dir}/`);
  await writeFile(source, text);
  const envoy = await startEnvoy({ envoyBin: inject('envoyBin'), config: renderEnvoyConfig({ source, listenerPort: 0, adminPort: 0, authzPort: gate.port, upstreams: { eu: eu.port, us: us.port } }) });
  envoys.push(envoy);
  return envoy;
}

const get = async (envoy: RunningEnvoy, marker: string) =>
  rawRequest({ port: envoy.listenerPort ?? 0, method: 'GET', path: `/eu/hello?m=${marker}`, headers: { authorization: `Bearer ${await issuer.mint({ region: 'eu-west-1' })}` } });

function presentedName(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port, ca: ca.cert, servername: SERVER_NAME, ALPNProtocols: ['h2'], cert: client.cert, key: client.key }, () => {
      resolve(String(s.getPeerCertificate().subject.CN));
      s.end();
    });
    s.once('error', reject);
  });
}

describe('Envoy → residency-gate over mutual TLS', () => {
  it('allows a request end to end when Envoy presents a certificate with an allowed name', async () => {
    const gate = await gateWith(['URI:spiffe://test.example/ns/edge/sa/envoy'], 'allowed');
    expect(gate.logs()).toMatch(/"tls":"mtls"/);
    const envoy = await envoyFor(gate);
    const res = await get(envoy, 'allowed');
    expect(res.status, `${res.text()}\n${envoy.logs()}`).toBe(200);
    expect(eu.requests.find((r) => r.path === '/eu/hello?m=allowed')?.headers['x-residency-decision']).toBe('allow');
  });

  it('refuses Envoy when its certificate names are not on the allow-list: 403, nothing upstream', async () => {
    const gate = await gateWith(['DNS:someone-else'], 'refused');
    const envoy = await envoyFor(gate);
    const res = await get(envoy, 'refused');
    expect(res.status).toBe(403);
    expect(eu.requests.filter((r) => r.path.includes('m=refused'))).toEqual([]);
    const admin = /"admin":"([^"]+)"/.exec(gate.logs())?.[1];
    const metrics = await (await fetch(`${admin}/metrics`)).text();
    expect(metrics).toMatch(/residency_gate_tls_client_rejections_total\{reason="san_not_allowed"\} [1-9]/);
  });

  it('serves a renewed certificate without a restart, and Envoy keeps getting answers', async () => {
    const gate = await gateWith(['DNS:envoy'], 'renewed');
    const envoy = await envoyFor(gate);
    expect((await get(envoy, 'before')).status).toBe(200);
    const renewed = pki.issue(ca, 'residency-gate-renewed', 'server', [`DNS:${SERVER_NAME}`, 'IP:127.0.0.1']);
    await copyFile(renewed.keyFile, join(pki.dir, 'live.key.tmp'));
    await copyFile(renewed.certFile, join(pki.dir, 'live.crt.tmp'));
    await rename(join(pki.dir, 'live.key.tmp'), join(pki.dir, 'live.key'));
    await rename(join(pki.dir, 'live.crt.tmp'), join(pki.dir, 'live.crt'));
    await expect.poll(() => presentedName(gate.port).catch(() => ''), { timeout: 10_000, interval: 200 }).toBe('residency-gate-renewed');
    const after = await get(envoy, 'after');
    expect(after.status, after.text()).toBe(200);
    expect(gate.process.exitCode).toBeNull();
  });
});
