// Identity from every credential on the request: each source alone, several agreeing, several
// disagreeing (IDENTITY_CONFLICT), and a bad credential next to a good one (its own error).
import { describe, expect, it } from 'vitest';
import type { IdentityConfig } from '../../../src/identity/config.js';
import { resolveIdentity, type IdentityEvidence } from '../../../src/identity/resolve.js';
import type { TokenVerifier, VerifiedIdentity } from '../../../src/identity/types.js';
import { ResidencyError } from '../../../src/errors/catalog.js';
import type { JsonObject } from '../../../src/envoy/struct.js';
import { identityConfig, issuerConfig, rejectionCode } from './fixtures.js';

const REGIONS = ['eu-west-1', 'us-east-1'];
const EU_TOKEN = 'eu.token.sig';
const US_TOKEN = 'us.token.sig';
const BAD_TOKEN = 'bad.token.sig';
const EU_SPIFFE = 'spiffe://cluster.local/ns/eu-apps/sa/agent';
const US_SPIFFE = 'spiffe://cluster.local/ns/us-apps/sa/agent';

/** Knows three tokens: one per region and one whose signature fails. */
const verifier: TokenVerifier = {
  verify: (token) => {
    const region = { [EU_TOKEN]: 'eu-west-1', [US_TOKEN]: 'us-east-1' }[token];
    if (region === undefined) return Promise.reject(new ResidencyError('TOKEN_SIGNATURE_INVALID'));
    return Promise.resolve({ issuer: 'https://idp.example', subject: 'alice', region, source: 'token' });
  },
  close: () => undefined,
};

const all: IdentityConfig = identityConfig([issuerConfig({ file: 'unused.json' })], {
  spiffe: [
    { pattern: 'spiffe://cluster.local/ns/eu-*/**', region: 'eu-west-1' },
    { pattern: 'spiffe://cluster.local/ns/us-*/**', region: 'us-east-1' },
  ],
  jwt_authn: { trusted: true, payload_key: 'jwt_payload', region_claim: 'region', issuers: ['https://idp.example'] },
});

const jwtAuthn = (region: string, claims: JsonObject = {}): JsonObject => ({ jwt_payload: { iss: 'https://idp.example', sub: 'alice', region, ...claims } });
const evidence = (opts: { token?: string; principal?: string; jwtAuthn?: JsonObject; headers?: Record<string, string> }): IdentityEvidence => ({
  headers: { ...(opts.token !== undefined ? { authorization: `Bearer ${opts.token}` } : {}), ...opts.headers },
  ...(opts.principal !== undefined ? { peerPrincipal: opts.principal } : {}),
  ...(opts.jwtAuthn !== undefined ? { jwtAuthn: opts.jwtAuthn } : {}),
});
const resolve = (e: IdentityEvidence, identity: IdentityConfig = all): Promise<VerifiedIdentity> => resolveIdentity({ identity, policy: { regions: REGIONS } }, verifier, e);

describe('resolveIdentity: one source', () => {
  it('takes a bearer token alone', async () => {
    await expect(resolve(evidence({ token: EU_TOKEN }))).resolves.toMatchObject({ source: 'token', region: 'eu-west-1', subject: 'alice' });
  });

  it('takes a SPIFFE ID alone', async () => {
    await expect(resolve(evidence({ principal: US_SPIFFE }))).resolves.toEqual({ source: 'spiffe', region: 'us-east-1', subject: US_SPIFFE, issuer: 'spiffe://cluster.local' });
  });

  it('takes a jwt_authn payload alone', async () => {
    await expect(resolve(evidence({ jwtAuthn: jwtAuthn('us-east-1') }))).resolves.toEqual({ source: 'jwt_authn', region: 'us-east-1', subject: 'alice', issuer: 'https://idp.example' });
  });

  it('answers TOKEN_MISSING when no configured source is present', async () => {
    expect(await rejectionCode(resolve(evidence({})))).toBe('TOKEN_MISSING');
    // Another scheme is no bearer credential; a non-SPIFFE certificate is no SPIFFE ID.
    expect(await rejectionCode(resolve(evidence({ headers: { authorization: 'Basic dXNlcjpwdw==' }, principal: 'CN=agent' })))).toBe('TOKEN_MISSING');
    // The jwt_authn namespace without our payload key (jwt_authn allowed a request without a token).
    expect(await rejectionCode(resolve(evidence({ jwtAuthn: {} })))).toBe('TOKEN_MISSING');
  });
});

describe('resolveIdentity: unconfigured sources are not read', () => {
  it('ignores the bearer header without issuers, the principal without patterns, jwt_authn unless trusted', async () => {
    const spiffeOnly = identityConfig([], { spiffe: all.spiffe });
    await expect(resolve(evidence({ token: BAD_TOKEN, principal: EU_SPIFFE }), spiffeOnly)).resolves.toMatchObject({ source: 'spiffe' });
    await expect(resolve(evidence({ token: US_TOKEN, jwtAuthn: jwtAuthn('eu-west-1') }), spiffeOnly).catch((e: ResidencyError) => e.code)).resolves.toBe('TOKEN_MISSING');

    const tokenOnly = identityConfig([issuerConfig({ file: 'unused.json' })], { jwt_authn: { ...all.jwt_authn!, trusted: false } });
    await expect(resolve(evidence({ token: EU_TOKEN, principal: US_SPIFFE, jwtAuthn: jwtAuthn('us-east-1') }), tokenOnly)).resolves.toMatchObject({ source: 'token', region: 'eu-west-1' });
    expect(await rejectionCode(resolve(evidence({ principal: US_SPIFFE, jwtAuthn: jwtAuthn('us-east-1') }), tokenOnly))).toBe('TOKEN_MISSING');
  });
});

describe('resolveIdentity: several sources', () => {
  it('accepts sources that agree, and names the first in the order token, jwt_authn, spiffe', async () => {
    await expect(resolve(evidence({ token: EU_TOKEN, principal: EU_SPIFFE, jwtAuthn: jwtAuthn('eu-west-1') }))).resolves.toMatchObject({ source: 'token', region: 'eu-west-1' });
    await expect(resolve(evidence({ principal: EU_SPIFFE, jwtAuthn: jwtAuthn('eu-west-1') }))).resolves.toMatchObject({ source: 'jwt_authn' });
    await expect(resolve(evidence({ token: US_TOKEN, principal: US_SPIFFE }))).resolves.toMatchObject({ source: 'token', region: 'us-east-1' });
  });

  it.each<[string, Parameters<typeof evidence>[0]]>([
    ['token and SPIFFE', { token: EU_TOKEN, principal: US_SPIFFE }],
    ['token and jwt_authn', { token: US_TOKEN, jwtAuthn: jwtAuthn('eu-west-1') }],
    ['jwt_authn and SPIFFE', { jwtAuthn: jwtAuthn('us-east-1'), principal: EU_SPIFFE }],
    ['two agreeing, one not', { token: EU_TOKEN, jwtAuthn: jwtAuthn('eu-west-1'), principal: US_SPIFFE }],
  ])('denies %s naming different regions with IDENTITY_CONFLICT', async (_name, opts) => {
    expect(await rejectionCode(resolve(evidence(opts)))).toBe('IDENTITY_CONFLICT');
  });

  it('fails closed: an invalid source is not rescued by a valid one', async () => {
    expect(await rejectionCode(resolve(evidence({ token: BAD_TOKEN, principal: EU_SPIFFE })))).toBe('TOKEN_SIGNATURE_INVALID');
    expect(await rejectionCode(resolve(evidence({ token: BAD_TOKEN, jwtAuthn: jwtAuthn('eu-west-1') })))).toBe('TOKEN_SIGNATURE_INVALID');
    expect(await rejectionCode(resolve(evidence({ headers: { authorization: 'Bearer not-a-jwt' }, principal: EU_SPIFFE })))).toBe('TOKEN_MALFORMED');
    expect(await rejectionCode(resolve(evidence({ token: EU_TOKEN, principal: 'spiffe://cluster.local/ns/eu-apps/' })))).toBe('SPIFFE_ID_INVALID');
    expect(await rejectionCode(resolve(evidence({ token: EU_TOKEN, principal: 'spiffe://cluster.local/ns/ap-apps/sa/x' })))).toBe('SPIFFE_ID_UNMAPPED');
    expect(await rejectionCode(resolve(evidence({ token: EU_TOKEN, jwtAuthn: jwtAuthn('eu-west-1', { iss: 'https://other.example' }) })))).toBe('TOKEN_ISSUER_UNKNOWN');
    expect(await rejectionCode(resolve(evidence({ principal: EU_SPIFFE, jwtAuthn: jwtAuthn('ap-south-1') })))).toBe('TOKEN_REGION_UNKNOWN');
  });

  it('reports the first failing source when several fail (token, then jwt_authn, then SPIFFE)', async () => {
    expect(await rejectionCode(resolve(evidence({ token: BAD_TOKEN, jwtAuthn: jwtAuthn('ap-south-1'), principal: 'spiffe://x/y/' })))).toBe('TOKEN_SIGNATURE_INVALID');
    expect(await rejectionCode(resolve(evidence({ jwtAuthn: jwtAuthn('ap-south-1'), principal: 'spiffe://x/y/' })))).toBe('TOKEN_REGION_UNKNOWN');
  });
});
