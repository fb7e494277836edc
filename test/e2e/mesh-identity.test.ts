// Identities a mesh already has, through a real Envoy running envoy/envoy.yaml with two additions:
// a jwt_authn filter before ext_authz (payload_in_metadata, forward: true) whose namespace
// ext_authz forwards (metadata_context_namespaces), and, on a second listener set-up, TLS that
// requires client certificates carrying SPIFFE IDs. residency-gate has NO bearer issuers: every
// identity it decides on comes from jwt_authn's payload or the client certificate.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { isMap, isSeq, parseDocument, stringify } from 'yaml';
import { rawTestConfig } from '../support/config.js';
import { startEnvoy, type RunningEnvoy } from '../support/envoy.js';
import { ENVOY_NAMES, renderEnvoyConfig } from '../support/envoy-config.js';
import { readAuditRecords } from '../support/audit-records.js';
import { rawRequest, type RawResponse } from '../support/http.js';
import { AUDIENCE, createTestIssuer, ISSUER, type TestIssuer } from '../support/issuer.js';
import { startResidencyGate, type RunningGate } from '../support/residency-gate.js';
import { startRecordingUpstream, type RecordingUpstream } from '../support/upstream.js';

const EU_WORKLOAD = 'spiffe://cluster.local/ns/eu-apps/sa/agent';
const UNMAPPED_WORKLOAD = 'spiffe://cluster.local/ns/ap-apps/sa/agent';
const JWT_PROVIDER = 'test_issuer';

interface Certs {
  readonly ca: string;
  readonly server: { cert: string; key: string };
  readonly clients: Record<'eu' | 'unmapped' | 'plain', { cert: Buffer; key: Buffer }>;
}

let issuer: TestIssuer;
let gate: RunningGate;
let envoy: RunningEnvoy;
let tlsEnvoy: RunningEnvoy;
let eu: RecordingUpstream;
let us: RecordingUpstream;
let auditFile: string;
let certs: Certs;

/** envoy/envoy.yaml, plus jwt_authn before ext_authz and ext_authz forwarding its metadata; TLS with client certificates if asked. */
function meshEnvoyConfig(jwks: string, ports: { authz: number; eu: number; us: number }, tls?: Certs): string {
  const doc = parseDocument(renderEnvoyConfig({ listenerPort: 0, adminPort: 0, authzPort: ports.authz, upstreams: { eu: ports.eu, us: ports.us } }));
  const listeners = doc.getIn(['static_resources', 'listeners'], true);
  if (!isSeq(listeners)) throw new Error('no listeners');
  const listener = listeners.items.findIndex((l) => isMap(l) && l.get('name') === ENVOY_NAMES.listener);
  const chain = ['static_resources', 'listeners', listener, 'filter_chains', 0];
  const filtersPath = [...chain, 'filters', 0, 'typed_config', 'http_filters'];
  const filters = doc.getIn(filtersPath, true);
  if (!isSeq(filters)) throw new Error('no http_filters');
  const extAuthz = filters.items.findIndex((f) => isMap(f) && f.get('name') === 'envoy.filters.http.ext_authz');
  if (extAuthz < 0) throw new Error('no ext_authz filter');
  doc.setIn([...filtersPath, extAuthz, 'typed_config', 'metadata_context_namespaces'], doc.createNode(['envoy.filters.http.jwt_authn']));
  const jwtAuthn = doc.createNode({
    name: 'envoy.filters.http.jwt_authn',
    typed_config: {
      '@type': 'type.googleapis.com/envoy.extensions.filters.http.jwt_authn.v3.JwtAuthentication',
      providers: {
        [JWT_PROVIDER]: {
          issuer: ISSUER,
          audiences: [AUDIENCE],
          local_jwks: { inline_string: jwks },
          payload_in_metadata: 'jwt_payload',
          forward: true,
        },
      },
      // A request without a token passes jwt_authn (and meets residency-gate's TOKEN_MISSING); a
      // token that is there must verify.
      rules: [{ match: { prefix: '/' }, requires: { requires_any: { requirements: [{ provider_name: JWT_PROVIDER }, { allow_missing: {} }] } } }],
    },
  });
  filters.items.splice(extAuthz, 0, jwtAuthn);
  if (tls !== undefined) {
    doc.setIn([...chain, 'transport_socket'], doc.createNode({
      name: 'envoy.transport_sockets.tls',
      typed_config: {
        '@type': 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext',
        require_client_certificate: true,
        common_tls_context: {
          tls_certificates: [{ certificate_chain: { filename: tls.server.cert }, private_key: { filename: tls.server.key } }],
          validation_context: { trusted_ca: { filename: tls.ca } },
        },
      },
    }));
  }
  return doc.toString();
}

/** A throwaway CA, Envoy's server certificate, and client certificates with and without SPIFFE IDs. */
async function makeCerts(): Promise<Certs> {
  const dir = await mkdtemp(join(tmpdir(), 'rg-mesh-pki-'));
  const openssl = (...args: string[]): void => void execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  const key = (name: string): string => {
    openssl('genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', `${name}.key`);
    return join(dir, `${name}.key`);
  };
  key('ca');
  openssl('req', '-x509', '-new', '-key', 'ca.key', '-sha256', '-days', '1', '-subj', '/CN=mesh-test-ca', '-addext', 'basicConstraints=critical,CA:true', '-addext', 'keyUsage=critical,keyCertSign', '-out', 'ca.crt');
  let serial = 100;
  const issue = async (name: string, usage: 'serverAuth' | 'clientAuth', san: string | undefined) => {
    const keyFile = key(name);
    openssl('req', '-new', '-key', `${name}.key`, '-subj', `/CN=${name}`, '-out', `${name}.csr`);
    await writeFile(join(dir, `${name}.ext`), `${san ? `subjectAltName=${san}\n` : ''}extendedKeyUsage=${usage}\nkeyUsage=critical,digitalSignature\n`);
    openssl('x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-set_serial', String(serial++), '-days', '1', '-sha256', '-extfile', `${name}.ext`, '-out', `${name}.crt`);
    return { cert: join(dir, `${name}.crt`), key: keyFile };
  };
  const server = await issue('envoy', 'serverAuth', 'IP:127.0.0.1,DNS:localhost');
  const client = async (name: string, san: string | undefined) => {
    const made = await issue(name, 'clientAuth', san);
    return { cert: await readFile(made.cert), key: await readFile(made.key) };
  };
  return {
    ca: join(dir, 'ca.crt'),
    server,
    clients: { eu: await client('eu-agent', `URI:${EU_WORKLOAD}`), unmapped: await client('ap-agent', `URI:${UNMAPPED_WORKLOAD}`), plain: await client('plain', undefined) },
  };
}

beforeAll(async () => {
  [issuer, certs] = await Promise.all([createTestIssuer(), makeCerts()]);
  auditFile = join(await mkdtemp(join(tmpdir(), 'rg-e2e-mesh-')), 'audit.jsonl');
  const raw = rawTestConfig(issuer, auditFile, '127.0.0.1:0', 'info');
  raw.identity = {
    // No bearer issuers: the Authorization header jwt_authn forwards is not read by residency-gate.
    jwt_authn: { trusted: true, payload_key: 'jwt_payload', region_claim: 'region', issuers: [ISSUER] },
    spiffe: [{ pattern: 'spiffe://cluster.local/ns/eu-*/**', region: 'eu-west-1' }],
  };
  [gate, eu, us] = await Promise.all([startResidencyGate(stringify(raw)), startRecordingUpstream('eu'), startRecordingUpstream('us')]);
  const jwks = await readFile(issuer.jwksFile, 'utf8');
  const ports = { authz: gate.port, eu: eu.port, us: us.port };
  [envoy, tlsEnvoy] = await Promise.all([
    startEnvoy({ envoyBin: inject('envoyBin'), config: meshEnvoyConfig(jwks, ports) }),
    startEnvoy({ envoyBin: inject('envoyBin'), config: meshEnvoyConfig(jwks, ports, certs) }),
  ]);
});

afterAll(async () => {
  await Promise.all([envoy?.stop(), tlsEnvoy?.stop()]);
  await gate?.stop();
  await Promise.all([eu?.close(), us?.close()]);
});

const get = (path: string, headers: Record<string, string> = {}) => rawRequest({ port: envoy.listenerPort ?? 0, path, headers });
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const seen = (upstream: RecordingUpstream, marker: string) => upstream.requests.filter((r) => r.path.includes(marker));
async function decisions(): Promise<Array<Record<string, unknown>>> {
  return (await readAuditRecords(auditFile)).filter((r) => r.kind === 'decision');
}
const codeOf = (res: RawResponse): unknown => (JSON.parse(res.text()) as { code?: unknown }).code;

function tlsGet(path: string, client: { cert: Buffer; key: Buffer }, headers: Record<string, string> = {}): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      { host: '127.0.0.1', port: tlsEnvoy.listenerPort ?? 0, path, headers, agent: false, ca: [readFileSync(certs.ca)], cert: client.cert, key: client.key, timeout: 10_000 },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const body = Buffer.concat(chunks);
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body, text: () => body.toString('utf8') });
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${path}: no response`)));
    req.on('error', reject);
    req.end();
  });
}

describe('jwt_authn before ext_authz', () => {
  it('decides a token jwt_authn accepted by the region in its payload', async () => {
    const token = await issuer.mint({ region: 'eu-west-1', sub: 'jwt-authn-user' });
    const res = await get('/eu/records?m=jwt-eu', bearer(token));
    expect(res.status).toBe(200);
    expect(seen(eu, 'jwt-eu')[0]?.headers['x-residency-origin-region']).toBe('eu-west-1');

    const denied = await get('/us/report?m=jwt-us', bearer(token));
    expect(denied.status).toBe(403);
    const body = JSON.parse(denied.text()) as Record<string, unknown>;
    expect(body).toMatchObject({ code: 'RESIDENCY_CROSS_REGION', origin_region: 'eu-west-1', target_region: 'us-east-1' });
    expect(seen(us, 'jwt-us')).toHaveLength(0);
    expect((await decisions()).find((r) => r.request_id === body.request_id)).toMatchObject({ subject: 'jwt-authn-user', issuer: ISSUER, origin_region: 'eu-west-1' });
  });

  it.each([
    ['a forged token', () => issuer.forge({ region: 'eu-west-1' }), 401, 'Jwt verification fails'],
    ['an expired token', () => issuer.mint({ region: 'eu-west-1' }, { expiresIn: Math.floor(Date.now() / 1000) - 600 }), 401, 'Jwt is expired'],
    ['a token for another audience', () => issuer.mint({ region: 'eu-west-1' }, { audience: 'someone-else' }), 403, 'Audiences in Jwt are not allowed'],
  ])('stops %s at jwt_authn: residency-gate never sees it, the upstream neither', async (name, mint, status, reply) => {
    const before = (await decisions()).length;
    const marker = `m=jwt-reject-${name.replace(/\W/g, '')}`;
    const res = await get(`/eu/records?${marker}`, bearer(await mint()));
    // jwt_authn answers 401 itself; that local reply passes ext_proc on its way out unchanged (it
    // holds no upstream data). No Check was made: no decision record.
    expect(res.status).toBe(status);
    expect(res.text()).toBe(reply);
    expect(seen(eu, marker)).toHaveLength(0);
    expect(await decisions()).toHaveLength(before);
    expect(await envoy.stat('http.ingress_http.jwt_authn.denied')).toBeGreaterThan(0);
  });

  it('lets a request without a token through jwt_authn to residency-gate, which answers TOKEN_MISSING', async () => {
    const res = await get('/eu/records?m=jwt-none');
    expect(res.status).toBe(401);
    expect(codeOf(res)).toBe('TOKEN_MISSING');
    expect(seen(eu, 'jwt-none')).toHaveLength(0);
  });

  it('does not take the payload from a client: a header shaped like the metadata counts for nothing', async () => {
    const res = await get('/eu/records?m=jwt-spoof', { 'x-jwt-payload': JSON.stringify({ iss: ISSUER, sub: 'mallory', region: 'eu-west-1' }) });
    expect(res.status).toBe(401);
    expect(codeOf(res)).toBe('TOKEN_MISSING');
  });
});

describe('SPIFFE IDs from client certificates (mTLS listener)', () => {
  it('decides by the region the certificate’s SPIFFE ID maps to, and audits the ID', async () => {
    const res = await tlsGet('/eu/records?m=spiffe-eu', certs.clients.eu);
    expect(res.status).toBe(200);
    expect(seen(eu, 'spiffe-eu')[0]?.headers['x-residency-origin-region']).toBe('eu-west-1');

    const denied = await tlsGet('/us/report?m=spiffe-us', certs.clients.eu);
    expect(denied.status).toBe(403);
    const body = JSON.parse(denied.text()) as Record<string, unknown>;
    expect(body).toMatchObject({ code: 'RESIDENCY_CROSS_REGION', origin_region: 'eu-west-1' });
    expect((await decisions()).find((r) => r.request_id === body.request_id)).toMatchObject({ subject: EU_WORKLOAD, issuer: 'spiffe://cluster.local' });
  });

  it('refuses an unmapped SPIFFE ID with 403, and a certificate without one as no credential', async () => {
    const unmapped = await tlsGet('/eu/records?m=spiffe-unmapped', certs.clients.unmapped);
    expect(unmapped.status).toBe(403);
    expect(codeOf(unmapped)).toBe('SPIFFE_ID_UNMAPPED');
    const plain = await tlsGet('/eu/records?m=spiffe-plain', certs.clients.plain);
    expect(plain.status).toBe(401);
    expect(codeOf(plain)).toBe('TOKEN_MISSING');
    expect(seen(eu, 'spiffe-unmapped')).toHaveLength(0);
    expect(seen(eu, 'spiffe-plain')).toHaveLength(0);
  });

  it('accepts a certificate and a token that agree, and denies them with IDENTITY_CONFLICT when they do not', async () => {
    const agree = await tlsGet('/eu/records?m=both-agree', certs.clients.eu, bearer(await issuer.mint({ region: 'eu-west-1' })));
    expect(agree.status).toBe(200);
    const conflict = await tlsGet('/eu/records?m=both-conflict', certs.clients.eu, bearer(await issuer.mint({ region: 'us-east-1' })));
    expect(conflict.status).toBe(403);
    expect(codeOf(conflict)).toBe('IDENTITY_CONFLICT');
    expect(seen(eu, 'both-conflict')).toHaveLength(0);
  });
});
