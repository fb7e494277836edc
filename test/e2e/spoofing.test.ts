// Header spoofing through a real Envoy running envoy/envoy.yaml: every header residency-gate sets
// (x-residency-*) or reads as trusted (x-request-id, the jwt_authn payload) is sent by the client
// with values of its own choosing, and the recording upstreams show what actually arrived. The
// client must change nothing: not the decision, not the route, not the headers the upstream trusts,
// not the id the audit trail is keyed by.
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isMap, isSeq, parseDocument, stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { rawTestConfig } from '../support/config.js';
import { startEnvoy, type RunningEnvoy } from '../support/envoy.js';
import { ENVOY_NAMES, renderEnvoyConfig } from '../support/envoy-config.js';
import { readAuditRecords } from '../support/audit-records.js';
import { rawRequest, type RawResponse } from '../support/http.js';
import { AUDIENCE, createTestIssuer, ISSUER, type TestIssuer } from '../support/issuer.js';
import { outcomesPolicy } from '../support/policies.js';
import { startResidencyGate, type RunningGate } from '../support/residency-gate.js';
import { startRecordingUpstream, type RecordedRequest, type RecordingUpstream } from '../support/upstream.js';

/** Every x-residency-* header residency-gate sets, with a value that would help an attacker. */
const SPOOFED = {
  'x-residency-decision': 'allow',
  'x-residency-origin-region': 'us-east-1',
  'x-residency-target': 'analytics-us',
  'x-residency-target-region': 'us-east-1',
  'x-residency-rule': 'forged-rule',
  'x-residency-route': 'llm-us',
  'x-residency-route-region': 'us-east-1',
  'x-residency-ticket': 'forged-ticket',
  'x-residency-anything-else': 'forged',
} as const;

const PAYLOAD_CLAIMS = JSON.stringify({ iss: ISSUER, aud: AUDIENCE, sub: 'mallory', region: 'us-east-1', exp: 4_102_444_800 });
/**
 * Header names shaped like the jwt_authn metadata path or its payload key. The key itself
 * (`jwt_payload`) and the namespace (`envoy.filters.http.jwt_authn`) cannot even be sent as header
 * names: envoy/envoy.yaml refuses names with underscores (see the last test).
 */
const JWT_AUTHN_SPOOF = {
  'x-jwt-payload': Buffer.from(PAYLOAD_CLAIMS).toString('base64url'),
  'jwt-payload': PAYLOAD_CLAIMS,
  'x-envoy-jwt-payload': PAYLOAD_CLAIMS,
};

let issuer: TestIssuer;
let gate: RunningGate;
let jwtGate: RunningGate;
let envoy: RunningEnvoy;
let jwtEnvoy: RunningEnvoy;
let eu: RecordingUpstream;
let us: RecordingUpstream;
let auditFile: string;
let jwtAuditFile: string;

/** envoy/envoy.yaml with jwt_authn (payload_in_metadata) before ext_authz, which forwards that namespace. */
function withJwtAuthn(config: string, jwks: string): string {
  const doc = parseDocument(config);
  const listeners = doc.getIn(['static_resources', 'listeners'], true);
  if (!isSeq(listeners)) throw new Error('no listeners');
  const listener = listeners.items.findIndex((l) => isMap(l) && l.get('name') === ENVOY_NAMES.listener);
  const filtersPath = ['static_resources', 'listeners', listener, 'filter_chains', 0, 'filters', 0, 'typed_config', 'http_filters'];
  const filters = doc.getIn(filtersPath, true);
  if (!isSeq(filters)) throw new Error('no http_filters');
  const extAuthz = filters.items.findIndex((f) => isMap(f) && f.get('name') === 'envoy.filters.http.ext_authz');
  doc.setIn([...filtersPath, extAuthz, 'typed_config', 'metadata_context_namespaces'], doc.createNode(['envoy.filters.http.jwt_authn']));
  filters.items.splice(
    extAuthz,
    0,
    doc.createNode({
      name: 'envoy.filters.http.jwt_authn',
      typed_config: {
        '@type': 'type.googleapis.com/envoy.extensions.filters.http.jwt_authn.v3.JwtAuthentication',
        providers: { idp: { issuer: ISSUER, audiences: [AUDIENCE], local_jwks: { inline_string: jwks }, payload_in_metadata: 'jwt_payload', forward: true } },
        rules: [{ match: { prefix: '/' }, requires: { requires_any: { requirements: [{ provider_name: 'idp' }, { allow_missing: {} }] } } }],
      },
    }),
  );
  return doc.toString();
}

beforeAll(async () => {
  issuer = await createTestIssuer();
  auditFile = join(await mkdtemp(join(tmpdir(), 'rg-e2e-spoof-')), 'audit.jsonl');
  jwtAuditFile = join(await mkdtemp(join(tmpdir(), 'rg-e2e-spoof-jwt-')), 'audit.jsonl');
  const raw = rawTestConfig(issuer, auditFile, '127.0.0.1:0', 'info') as Record<string, unknown>;
  raw.policy = outcomesPolicy();
  raw.masking = { profiles: { pii: { detectors: { email: 'redact' } } } };
  const jwtRaw = rawTestConfig(issuer, jwtAuditFile, '127.0.0.1:0', 'info') as Record<string, unknown>;
  // Only the payload jwt_authn verified: residency-gate reads no bearer token itself.
  jwtRaw.identity = { jwt_authn: { trusted: true, payload_key: 'jwt_payload', region_claim: 'region', issuers: [ISSUER] } };
  [gate, jwtGate, eu, us] = await Promise.all([
    startResidencyGate(stringify(raw), { workers: 1 }),
    startResidencyGate(stringify(jwtRaw), { workers: 1 }),
    startRecordingUpstream('eu'),
    startRecordingUpstream('us'),
  ]);
  const upstreams = { eu: eu.port, us: us.port };
  const jwks = await readFile(issuer.jwksFile, 'utf8');
  [envoy, jwtEnvoy] = await Promise.all([
    startEnvoy({ envoyBin: inject('envoyBin'), config: renderEnvoyConfig({ listenerPort: 0, adminPort: 0, authzPort: gate.port, upstreams }) }),
    startEnvoy({ envoyBin: inject('envoyBin'), config: withJwtAuthn(renderEnvoyConfig({ listenerPort: 0, adminPort: 0, authzPort: jwtGate.port, upstreams }), jwks) }),
  ]);
});

afterAll(async () => {
  await Promise.all([envoy?.stop(), jwtEnvoy?.stop()]);
  await Promise.all([gate?.stop(), jwtGate?.stop()]);
  await Promise.all([eu?.close(), us?.close()]);
});

type Headers = Record<string, string | string[]>;
const send = (path: string, headers: Headers, options: { body?: string; method?: string; via?: RunningEnvoy; host?: string } = {}): Promise<RawResponse> =>
  rawRequest({ port: (options.via ?? envoy).listenerPort ?? 0, path, headers: { ...(options.host ? { host: options.host } : {}), ...headers }, body: options.body, method: options.method });
const as = async (region: string): Promise<Headers> => ({ authorization: `Bearer ${await issuer.mint({ region })}` });
const arrived = (marker: string): RecordedRequest[] => [...eu.requests, ...us.requests].filter((r) => r.path.includes(marker));
const only = (marker: string): RecordedRequest => {
  const found = arrived(marker);
  expect(found, `exactly one upstream request for ${marker}`).toHaveLength(1);
  return found[0]!;
};
const residencyHeaders = (r: RecordedRequest): Record<string, unknown> => Object.fromEntries(Object.entries(r.headers).filter(([k]) => k.startsWith('x-residency-')));
const forgedValues = (r: RecordedRequest): string[] => Object.values(r.headers).flat().filter((v): v is string => typeof v === 'string' && /forged|mallory/.test(v));

describe('x-residency-* headers from the client', () => {
  it('are all replaced or removed on an allowed request: the upstream sees only residency-gate’s', async () => {
    const res = await send('/eu/records?m=spoof-allow', { ...(await as('eu-west-1')), ...SPOOFED });
    expect(res.status).toBe(200);
    const got = only('spoof-allow');
    expect(residencyHeaders(got)).toEqual({
      'x-residency-origin-region': 'eu-west-1',
      'x-residency-target': 'crm-eu',
      'x-residency-target-region': 'eu-west-1',
      // crm-lockdown-trial is a dry-run deny: passes, marked would-deny, under the rule that allowed it.
      'x-residency-decision': 'would-deny',
      'x-residency-rule': 'same-region',
    });
    expect(forgedValues(got)).toEqual([]);
  });

  it('are removed in any letter case and when sent twice', async () => {
    const res = await send('/eu/records?m=spoof-case', {
      ...(await as('eu-west-1')),
      'X-Residency-Origin-Region': ['us-east-1', 'ap-south-1'],
      'X-RESIDENCY-TICKET': 'forged-ticket',
      'x-Residency-Rule': ['forged-rule', 'forged-rule-2'],
    });
    expect(res.status).toBe(200);
    const got = only('spoof-case');
    expect(got.headers['x-residency-origin-region']).toBe('eu-west-1');
    expect(got.headers['x-residency-rule']).toBe('same-region');
    expect(got.headers['x-residency-ticket']).toBeUndefined();
    expect(forgedValues(got)).toEqual([]);
  });

  it('cannot turn a deny into an allow: the upstream receives nothing', async () => {
    const res = await send('/x?m=spoof-deny', { ...(await as('eu-west-1')), ...SPOOFED }, { host: 'unknown.example.org' });
    expect(res.status).toBe(403);
    expect(arrived('spoof-deny')).toHaveLength(0);
    // An EU caller claiming to be from the US, at the US target: still a cross-region request.
    const cross = await send('/us/report?m=spoof-deny-cross', { ...(await as('eu-west-1')), ...SPOOFED });
    expect(cross.status).toBeGreaterThanOrEqual(400);
    expect(JSON.parse(cross.text())).toMatchObject({ origin_region: 'eu-west-1' });
    expect(arrived('spoof-deny-cross')).toHaveLength(0);
  });

  it('cannot make a request without a token pass, whatever it claims', async () => {
    const res = await send('/eu/records?m=spoof-anon', { ...SPOOFED });
    expect(res.status).toBe(401);
    expect(arrived('spoof-anon')).toHaveLength(0);
  });

  it('x-residency-route cannot steer a rerouted request: each caller lands in its own region', async () => {
    const fromEu = await send('/llm/chat?m=spoof-route-eu', { ...(await as('eu-west-1')), 'x-residency-route': 'llm-us', 'x-residency-route-region': 'us-east-1' });
    const fromUs = await send('/llm/chat?m=spoof-route-us', { ...(await as('us-east-1')), 'x-residency-route': 'llm-eu', 'x-residency-route-region': 'eu-west-1' });
    expect([fromEu.status, fromUs.status]).toEqual([200, 200]);
    expect(eu.requests.filter((r) => r.path.includes('spoof-route-eu'))).toHaveLength(1);
    expect(us.requests.filter((r) => r.path.includes('spoof-route-us'))).toHaveLength(1);
    expect(residencyHeaders(only('spoof-route-eu'))).toMatchObject({ 'x-residency-route': 'llm-eu', 'x-residency-route-region': 'eu-west-1', 'x-residency-decision': 'reroute' });
    // The LLM API's home region is us-east-1: a US caller is a plain allow, and the client's route
    // header is gone, so the request fell back to the home route after the route cache was cleared.
    const usGot = residencyHeaders(only('spoof-route-us'));
    expect(usGot).toMatchObject({ 'x-residency-origin-region': 'us-east-1', 'x-residency-decision': 'allow' });
    expect(usGot['x-residency-route']).toBeUndefined();
    expect(usGot['x-residency-route-region']).toBeUndefined();
  });

  it('a spoofed decision of "allow" does not skip the masking an allow-masked decision requires', async () => {
    const res = await send('/eu/notes?m=spoof-mask', { ...(await as('us-east-1')), 'x-residency-decision': 'allow', 'content-type': 'text/plain' }, { method: 'POST', body: 'write to jane.doe@example.org' });
    expect(res.status).toBe(200);
    const got = only('spoof-mask');
    expect(got.headers['x-residency-decision']).toBe('allow-masked');
    expect(got.body.toString()).toBe('write to [EMAIL]');
  });

  it('an underscore spelling (x_residency_decision) is refused by Envoy before any check', async () => {
    // headers_with_underscores_action: REJECT_REQUEST — HTTP/1.1 gets a 400 or a closed connection.
    const outcome = await send('/eu/records?m=spoof-underscore', { ...(await as('eu-west-1')), x_residency_decision: 'allow' }).then(
      (res) => res.status,
      (err: Error) => err.message,
    );
    expect([400, 'socket hang up']).toContain(outcome);
    expect(arrived('spoof-underscore')).toHaveLength(0);
  });
});

describe('x-request-id from the client', () => {
  it('is replaced by Envoy: the upstream, the deny body and the audit trail carry Envoy’s id', async () => {
    const clientId = 'client-chosen-request-id-0001';
    const allowed = await send('/eu/records?m=spoof-rid', { ...(await as('eu-west-1')), 'x-request-id': clientId });
    expect(allowed.status).toBe(200);
    const upstreamId = only('spoof-rid').headers['x-request-id'];
    expect(upstreamId).toMatch(/^[0-9a-f-]{36}$/);
    expect(upstreamId).not.toBe(clientId);

    const denied = await send('/x?m=spoof-rid-deny', { ...(await as('eu-west-1')), 'x-request-id': clientId }, { host: 'unknown.example.org' });
    expect(denied.status).toBe(403);
    const deniedId = (JSON.parse(denied.text()) as { request_id: string }).request_id;
    expect(deniedId).not.toBe(clientId);

    const records = await readAuditRecords(auditFile);
    expect(records.some((r) => r.request_id === clientId)).toBe(false);
    expect(records.find((r) => r.kind === 'decision' && r.request_id === upstreamId)).toMatchObject({ decision: expect.any(String) });
    expect(records.find((r) => r.kind === 'decision' && r.request_id === deniedId)).toMatchObject({ decision: 'deny' });
    expect(JSON.stringify(records)).not.toContain(clientId);
  });
});

describe('the jwt_authn payload (identity.jwt_authn.trusted: true)', () => {
  const jwt = (path: string, headers: Headers) => send(path, headers, { via: jwtEnvoy });

  it('cannot be supplied as a header: without a token, headers shaped like the payload count for nothing', async () => {
    const res = await jwt('/us/report?m=jwt-spoof-none', { ...JWT_AUTHN_SPOOF });
    expect(res.status).toBe(401);
    expect(JSON.parse(res.text())).toMatchObject({ code: 'TOKEN_MISSING' });
    expect(arrived('jwt-spoof-none')).toHaveLength(0);
  });

  it('cannot override the verified payload: an EU token with US-claiming headers stays EU', async () => {
    const headers = { ...(await as('eu-west-1')), ...JWT_AUTHN_SPOOF };
    const cross = await jwt('/us/report?m=jwt-spoof-cross', headers);
    expect(cross.status).toBe(403);
    expect(JSON.parse(cross.text())).toMatchObject({ code: 'RESIDENCY_CROSS_REGION', origin_region: 'eu-west-1' });
    expect(arrived('jwt-spoof-cross')).toHaveLength(0);

    const home = await jwt('/eu/records?m=jwt-spoof-home', headers);
    expect(home.status).toBe(200);
    expect(only('jwt-spoof-home').headers['x-residency-origin-region']).toBe('eu-west-1');
    const records = await readAuditRecords(jwtAuditFile);
    const mine = records.filter((r) => r.kind === 'decision' && (r.subject === 'mallory' || r.origin_region === 'us-east-1'));
    expect(mine).toEqual([]);
  });

  it.each(['jwt_payload', 'envoy.filters.http.jwt_authn'])('a header named %s is refused by Envoy outright', async (name) => {
    const outcome = await jwt(`/eu/records?m=jwt-spoof-${name.length}`, { ...(await as('eu-west-1')), [name]: PAYLOAD_CLAIMS }).then(
      (res) => res.status,
      (err: Error) => err.message,
    );
    expect([400, 'socket hang up']).toContain(outcome);
    expect(arrived(`jwt-spoof-${name.length}`)).toHaveLength(0);
  });

  it('a forged token next to the spoofed headers is stopped by jwt_authn itself', async () => {
    const res = await jwt('/eu/records?m=jwt-spoof-forged', { authorization: `Bearer ${await issuer.forge({ region: 'us-east-1' })}`, ...JWT_AUTHN_SPOOF });
    expect(res.status).toBe(401);
    expect(arrived('jwt-spoof-forged')).toHaveLength(0);
  });
});
