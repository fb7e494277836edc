// Identities a mesh already has, through the real server with Envoy-shaped CheckRequests: two
// token issuers with their own region claims, the mTLS peer's SPIFFE ID, the jwt_authn payload,
// and what happens when several arrive at once.
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import type { AuthorizationClient } from '../../src/envoy/generated/envoy/service/auth/v3/Authorization.js';
import type { CheckResponse__Output } from '../../src/envoy/generated/envoy/service/auth/v3/CheckResponse.js';
import type { JsonObject } from '../../src/envoy/struct.js';
import { createLogger } from '../../src/logging/logger.js';
import { startServer, type RunningServer } from '../../src/server.js';
import { rawTestConfig } from '../support/config.js';
import { authorizationClient, checkOnce, envoyCheckRequest } from '../support/grpc-clients.js';
import { AUDIENCE, createTestIssuer, ISSUER, type TestIssuer } from '../support/issuer.js';

const US_ISSUER = 'https://idp-us.test.residency-gate';
const US_CLAIM = 'https://idp.example/claims.residency.region';
const EU_WORKLOAD = 'spiffe://cluster.local/ns/eu-apps/sa/agent';
const US_WORKLOAD = 'spiffe://cluster.local/ns/us-batch/sa/exporter';
const JWT_AUTHN = 'envoy.filters.http.jwt_authn';
const EU_HOST = 'crm.eu.example.com';
const US_HOST = 'api.us.example.com';

let server: RunningServer;
let client: AuthorizationClient;
let eu: TestIssuer;
let us: TestIssuer;
let auditFile: string;

beforeAll(async () => {
  [eu, us] = await Promise.all([createTestIssuer(), createTestIssuer()]);
  auditFile = join(await mkdtemp(join(tmpdir(), 'rg-identity-')), 'audit.jsonl');
  const raw = rawTestConfig(eu, auditFile);
  raw.identity = {
    issuers: [
      { issuer: ISSUER, audience: AUDIENCE, jwks: { file: eu.jwksFile }, region_claim: 'region' },
      { issuer: US_ISSUER, audience: AUDIENCE, jwks: { file: us.jwksFile }, region_claim: US_CLAIM },
    ],
    spiffe: [
      { pattern: 'spiffe://cluster.local/ns/eu-*/**', region: 'eu-west-1' },
      { pattern: 'spiffe://cluster.local/ns/us-*/**', region: 'us-east-1' },
    ],
    jwt_authn: { trusted: true, payload_key: 'jwt_payload', region_claim: 'region', issuers: [ISSUER] },
  };
  server = await startServer(parseConfig(raw, eu.dir), createLogger('silent'));
  client = authorizationClient(server.address);
});

afterAll(async () => {
  client?.close();
  await server?.shutdown();
});

const bodyOf = (r: CheckResponse__Output) => JSON.parse(r.denied_response?.body ?? 'null') as Record<string, unknown>;
const headerOf = (r: CheckResponse__Output, name: string) =>
  (r.ok_response?.headers ?? r.denied_response?.headers ?? []).find((h) => h.header?.key === name)?.header?.value;
const usNested = (region: string) => ({ 'https://idp.example/claims': { residency: { region } } });
const jwtAuthn = (payload: JsonObject) => ({ [JWT_AUTHN]: { jwt_payload: { iss: ISSUER, aud: AUDIENCE, sub: 'jwt-user', exp: Math.floor(Date.now() / 1000) + 300, ...payload } } });
const audited = async (requestId: string) =>
  (await readFile(auditFile, 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>).find((r) => r.request_id === requestId);

describe('two token issuers, one per region, each with its own claim mapping', () => {
  it('reads the EU IdP region from "region" and the US IdP region from its nested namespaced claim', async () => {
    const euToken = await eu.mint({ region: 'eu-west-1' });
    const usToken = await us.mint(usNested('us-east-1'), { issuer: US_ISSUER });
    expect((await checkOnce(client, envoyCheckRequest({ token: euToken, authority: EU_HOST }))).status?.code).toBe(0);
    expect((await checkOnce(client, envoyCheckRequest({ token: usToken, authority: US_HOST }))).status?.code).toBe(0);
    const crossing = await checkOnce(client, envoyCheckRequest({ token: usToken, authority: EU_HOST }));
    expect(bodyOf(crossing)).toMatchObject({ code: 'RESIDENCY_CROSS_REGION', origin_region: 'us-east-1', target_region: 'eu-west-1' });
  });

  it('does not read one IdP’s claim with the other’s mapping', async () => {
    const usWithFlatClaim = await us.mint({ region: 'us-east-1' }, { issuer: US_ISSUER });
    expect(bodyOf(await checkOnce(client, envoyCheckRequest({ token: usWithFlatClaim, authority: US_HOST }))).code).toBe('TOKEN_REGION_MISSING');
    const euWithNestedClaim = await eu.mint(usNested('eu-west-1'));
    expect(bodyOf(await checkOnce(client, envoyCheckRequest({ token: euWithNestedClaim, authority: EU_HOST }))).code).toBe('TOKEN_REGION_MISSING');
    // Each issuer's tokens verify only with its own keys.
    const usSignedAsEu = await us.mint({ region: 'eu-west-1' });
    expect(bodyOf(await checkOnce(client, envoyCheckRequest({ token: usSignedAsEu, authority: EU_HOST }))).code).toBe('TOKEN_SIGNATURE_INVALID');
  });
});

describe('the mTLS peer’s SPIFFE ID', () => {
  it('decides by the mapped region and audits the ID as subject, the trust domain as issuer', async () => {
    const allowed = await checkOnce(client, envoyCheckRequest({ principal: EU_WORKLOAD, authority: EU_HOST, requestId: 'spiffe-allow' }));
    expect(allowed.status?.code).toBe(0);
    expect(headerOf(allowed, 'x-residency-origin-region')).toBe('eu-west-1');
    expect(await audited('spiffe-allow')).toMatchObject({ subject: EU_WORKLOAD, issuer: 'spiffe://cluster.local', origin_region: 'eu-west-1', decision: 'allow' });

    const denied = await checkOnce(client, envoyCheckRequest({ principal: EU_WORKLOAD, authority: US_HOST }));
    expect(bodyOf(denied)).toMatchObject({ code: 'RESIDENCY_CROSS_REGION', origin_region: 'eu-west-1' });
  });

  it('answers an unmapped or malformed ID with 403 and no Bearer challenge', async () => {
    for (const [principal, code] of [
      ['spiffe://cluster.local/ns/ap-apps/sa/x', 'SPIFFE_ID_UNMAPPED'],
      ['spiffe://other.domain/ns/eu-apps/sa/agent', 'SPIFFE_ID_UNMAPPED'],
      ['spiffe://cluster.local/ns/eu-apps/sa/agent/', 'SPIFFE_ID_INVALID'],
      ['spiffe://cluster.local/ns/eu%2Dapps/sa/agent', 'SPIFFE_ID_INVALID'],
    ] as const) {
      const r = await checkOnce(client, envoyCheckRequest({ principal, authority: EU_HOST, requestId: `spiffe-${code}` }));
      expect(r.status?.code, principal).toBe(7);
      expect(r.denied_response?.status?.code).toBe('Forbidden');
      expect(bodyOf(r).code, principal).toBe(code);
      expect(headerOf(r, 'www-authenticate')).toBeUndefined();
    }
  });

  it('treats a certificate principal that is no SPIFFE ID as no credential', async () => {
    const r = await checkOnce(client, envoyCheckRequest({ principal: 'CN=agent,O=Example', authority: EU_HOST }));
    expect(bodyOf(r).code).toBe('TOKEN_MISSING');
  });
});

describe('the jwt_authn payload', () => {
  it('decides by the payload’s region when Envoy forwards the jwt_authn metadata', async () => {
    const allowed = await checkOnce(client, envoyCheckRequest({ authority: US_HOST, metadataContext: jwtAuthn({ region: 'us-east-1' }), requestId: 'jwt-authn-allow' }));
    expect(allowed.status?.code).toBe(0);
    expect(await audited('jwt-authn-allow')).toMatchObject({ subject: 'jwt-user', issuer: ISSUER, origin_region: 'us-east-1' });
    const denied = await checkOnce(client, envoyCheckRequest({ authority: EU_HOST, metadataContext: jwtAuthn({ region: 'us-east-1' }) }));
    expect(bodyOf(denied)).toMatchObject({ code: 'RESIDENCY_CROSS_REGION', origin_region: 'us-east-1' });
  });

  it('refuses a payload from an issuer not listed in jwt_authn.issuers, or with an undeclared region', async () => {
    const otherIssuer = await checkOnce(client, envoyCheckRequest({ authority: EU_HOST, metadataContext: jwtAuthn({ iss: US_ISSUER, region: 'eu-west-1' }) }));
    expect(bodyOf(otherIssuer).code).toBe('TOKEN_ISSUER_UNKNOWN');
    const unknownRegion = await checkOnce(client, envoyCheckRequest({ authority: EU_HOST, metadataContext: jwtAuthn({ region: 'ap-south-1' }) }));
    expect(bodyOf(unknownRegion).code).toBe('TOKEN_REGION_UNKNOWN');
  });

  it('ignores other namespaces and other keys: a look-alike payload elsewhere is no credential', async () => {
    const elsewhere = { 'envoy.filters.http.lua': { jwt_payload: { iss: ISSUER, sub: 'x', region: 'eu-west-1' } }, [JWT_AUTHN]: { other_key: { iss: ISSUER, sub: 'x', region: 'eu-west-1' } } };
    expect(bodyOf(await checkOnce(client, envoyCheckRequest({ authority: EU_HOST, metadataContext: elsewhere }))).code).toBe('TOKEN_MISSING');
  });
});

describe('several credentials on one request', () => {
  it('accepts a token and a SPIFFE ID that agree, and names the token’s subject', async () => {
    const token = await eu.mint({ region: 'eu-west-1', sub: 'both-user' });
    const r = await checkOnce(client, envoyCheckRequest({ token, principal: EU_WORKLOAD, authority: EU_HOST, requestId: 'agree' }));
    expect(r.status?.code).toBe(0);
    expect(await audited('agree')).toMatchObject({ subject: 'both-user', issuer: ISSUER });
  });

  it('accepts the same JWT as bearer token and jwt_authn payload (forward: true)', async () => {
    const token = await eu.mint({ region: 'eu-west-1' });
    const r = await checkOnce(client, envoyCheckRequest({ token, authority: EU_HOST, metadataContext: jwtAuthn({ region: 'eu-west-1', sub: 'alice' }) }));
    expect(r.status?.code).toBe(0);
  });

  it('denies credentials naming different regions with 403 IDENTITY_CONFLICT', async () => {
    const token = await eu.mint({ region: 'eu-west-1' });
    for (const request of [
      envoyCheckRequest({ token, principal: US_WORKLOAD, authority: EU_HOST, requestId: 'conflict-1' }),
      envoyCheckRequest({ token, metadataContext: jwtAuthn({ region: 'us-east-1' }), authority: EU_HOST, requestId: 'conflict-2' }),
      envoyCheckRequest({ principal: EU_WORKLOAD, metadataContext: jwtAuthn({ region: 'us-east-1' }), authority: US_HOST, requestId: 'conflict-3' }),
    ]) {
      const r = await checkOnce(client, request);
      expect(r.status?.code).toBe(7);
      expect(r.denied_response?.status?.code).toBe('Forbidden');
      expect(bodyOf(r)).toMatchObject({ code: 'IDENTITY_CONFLICT', origin_region: null });
    }
    expect(await audited('conflict-1')).toMatchObject({ decision: 'deny', code: 'IDENTITY_CONFLICT', subject: null, origin_region: null });
  });

  it('fails closed: a bad token is not rescued by a valid SPIFFE ID or jwt_authn payload', async () => {
    const forged = await eu.forge({ region: 'eu-west-1' });
    const r = await checkOnce(client, envoyCheckRequest({ token: forged, principal: EU_WORKLOAD, metadataContext: jwtAuthn({ region: 'eu-west-1' }), authority: EU_HOST }));
    expect(r.status?.code).toBe(16);
    expect(bodyOf(r).code).toBe('TOKEN_SIGNATURE_INVALID');
    const unmapped = await checkOnce(client, envoyCheckRequest({ token: await eu.mint({ region: 'eu-west-1' }), principal: 'spiffe://cluster.local/ns/ap-apps/sa/x', authority: EU_HOST }));
    expect(bodyOf(unmapped).code).toBe('SPIFFE_ID_UNMAPPED');
  });

  it('answers TOKEN_MISSING (401) when no credential at all is present', async () => {
    const r = await checkOnce(client, envoyCheckRequest({ authority: EU_HOST }));
    expect(r.status?.code).toBe(16);
    expect(bodyOf(r).code).toBe('TOKEN_MISSING');
  });
});
