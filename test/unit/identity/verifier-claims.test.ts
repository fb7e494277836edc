// Claims checked after the signature: time, issuer, audience, subject and the region.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TokenVerifier } from '../../../src/identity/types.js';
import { createTokenVerifier } from '../../../src/identity/verifier.js';
import { AUDIENCE, identityConfig, ISSUER, issuerConfig, jwksOf, makeKey, mint, NOW_S, REGIONS, rejectionCode, TestClock, writeJwksFile, type TestKey } from './fixtures.js';

const TOLERANCE_S = 30;
const NESTED = 'https://nested.example.test';
const NAMESPACED = 'https://namespaced.example.test';
const URL_CLAIM = 'https://example.com/claims.region';
const MULTI_AUD = 'https://multi-aud.example.test';

let key: TestKey;
let verifier: TokenVerifier;

beforeAll(async () => {
  key = await makeKey('ES256', 'k1');
  const file = await writeJwksFile(jwksOf(key));
  const issuers = [
    issuerConfig({ file }),
    issuerConfig({ file }, { issuer: NESTED, region_claim: 'ctx.geo.region' }),
    issuerConfig({ file }, { issuer: NAMESPACED, region_claim: URL_CLAIM }),
    issuerConfig({ file }, { issuer: MULTI_AUD, audience: ['first-api', AUDIENCE] }),
  ];
  const config = identityConfig(issuers, { clock_tolerance_seconds: TOLERANCE_S });
  verifier = await createTokenVerifier(config, REGIONS, { now: new TestClock().now });
});
afterAll(() => verifier.close());

const codeFor = async (claimOverrides: Record<string, unknown>): Promise<string> => rejectionCode(verifier.verify(await mint(key, claimOverrides)));
const accepts = async (claimOverrides: Record<string, unknown>): Promise<void> => {
  await expect(verifier.verify(await mint(key, claimOverrides))).resolves.toMatchObject({ subject: 'user-1' });
};

describe('time claims, with the clock frozen and 30 s of tolerance', () => {
  it('answers TOKEN_EXPIRED past exp plus tolerance', async () => {
    expect(await codeFor({ exp: NOW_S - TOLERANCE_S })).toBe('TOKEN_EXPIRED');
    expect(await codeFor({ exp: NOW_S - 3600, iat: NOW_S - 7200 })).toBe('TOKEN_EXPIRED');
    await accepts({ exp: NOW_S - TOLERANCE_S + 1 });
  });

  it('answers TOKEN_NOT_YET_VALID for nbf in the future beyond tolerance', async () => {
    expect(await codeFor({ nbf: NOW_S + TOLERANCE_S + 1 })).toBe('TOKEN_NOT_YET_VALID');
    await accepts({ nbf: NOW_S + TOLERANCE_S });
  });

  it('answers TOKEN_NOT_YET_VALID for iat in the future beyond tolerance', async () => {
    expect(await codeFor({ iat: NOW_S + 86_400 })).toBe('TOKEN_NOT_YET_VALID');
    expect(await codeFor({ iat: NOW_S + TOLERANCE_S + 1 })).toBe('TOKEN_NOT_YET_VALID');
    await accepts({ iat: NOW_S + TOLERANCE_S });
    await accepts({ iat: undefined });
  });

  it('answers TOKEN_CLAIM_INVALID for time claims that are not numbers, or a missing exp', async () => {
    expect(await codeFor({ nbf: 'yesterday' })).toBe('TOKEN_CLAIM_INVALID');
    expect(await codeFor({ iat: 'now' })).toBe('TOKEN_CLAIM_INVALID');
    expect(await codeFor({ exp: String(NOW_S + 600) })).toBe('TOKEN_CLAIM_INVALID');
    expect(await codeFor({ exp: undefined })).toBe('TOKEN_CLAIM_INVALID');
  });
});

describe('issuer, audience and subject', () => {
  it('answers TOKEN_ISSUER_UNKNOWN for an issuer that is not configured', async () => {
    expect(await codeFor({ iss: 'https://evil.example.test' })).toBe('TOKEN_ISSUER_UNKNOWN');
    // Issuers compare exactly: a trailing slash is another issuer.
    expect(await codeFor({ iss: `${ISSUER}/` })).toBe('TOKEN_ISSUER_UNKNOWN');
  });

  it('answers TOKEN_AUDIENCE_INVALID for another audience, or an array without ours', async () => {
    expect(await codeFor({ aud: 'another-api' })).toBe('TOKEN_AUDIENCE_INVALID');
    expect(await codeFor({ aud: ['another-api', 'third-api'] })).toBe('TOKEN_AUDIENCE_INVALID');
    expect(await codeFor({ aud: [] })).toBe('TOKEN_AUDIENCE_INVALID');
    expect(await codeFor({ aud: undefined })).toBe('TOKEN_AUDIENCE_INVALID');
    await accepts({ aud: ['another-api', AUDIENCE] });
  });

  it('accepts any one of several configured audiences', async () => {
    await accepts({ iss: MULTI_AUD, aud: 'first-api' });
    expect(await codeFor({ iss: MULTI_AUD, aud: 'third-api' })).toBe('TOKEN_AUDIENCE_INVALID');
  });

  it('answers TOKEN_CLAIM_INVALID without a usable sub', async () => {
    expect(await codeFor({ sub: undefined })).toBe('TOKEN_CLAIM_INVALID');
    expect(await codeFor({ sub: 7 })).toBe('TOKEN_CLAIM_INVALID');
    expect(await codeFor({ sub: '' })).toBe('TOKEN_CLAIM_INVALID');
  });
});

describe('region', () => {
  it('returns the identity with the region and expiry', async () => {
    await expect(verifier.verify(await mint(key, { region: 'us-east', sub: 'svc-a' }))).resolves.toEqual({
      issuer: ISSUER,
      subject: 'svc-a',
      region: 'us-east',
      source: 'token',
      expiresAt: NOW_S + 600,
    });
  });

  it('answers TOKEN_REGION_MISSING, TOKEN_CLAIM_INVALID and TOKEN_REGION_UNKNOWN', async () => {
    expect(await codeFor({ region: undefined })).toBe('TOKEN_REGION_MISSING');
    expect(await codeFor({ region: ['eu-west'] })).toBe('TOKEN_CLAIM_INVALID');
    expect(await codeFor({ region: 3 })).toBe('TOKEN_CLAIM_INVALID');
    expect(await codeFor({ region: 'ap-south' })).toBe('TOKEN_REGION_UNKNOWN');
    // Regions compare exactly.
    expect(await codeFor({ region: 'EU-WEST' })).toBe('TOKEN_REGION_UNKNOWN');
  });

  it('reads a dotted region_claim path', async () => {
    await expect(verifier.verify(await mint(key, { iss: NESTED, region: undefined, ctx: { geo: { region: 'us-east' } } }))).resolves.toMatchObject({
      region: 'us-east',
    });
    expect(await codeFor({ iss: NESTED, ctx: { geo: {} } })).toBe('TOKEN_REGION_MISSING');
    expect(await codeFor({ iss: NESTED, ctx: { geo: { region: 1 } } })).toBe('TOKEN_CLAIM_INVALID');
  });

  it('reads a URL-style region_claim as a whole key or split at its last dot', async () => {
    const whole = { iss: NAMESPACED, region: undefined, [URL_CLAIM]: 'eu-west' };
    await expect(verifier.verify(await mint(key, whole))).resolves.toMatchObject({ region: 'eu-west' });
    const nested = { iss: NAMESPACED, region: undefined, 'https://example.com/claims': { region: 'us-east' } };
    await expect(verifier.verify(await mint(key, nested))).resolves.toMatchObject({ region: 'us-east' });
    expect(await codeFor({ iss: NAMESPACED })).toBe('TOKEN_REGION_MISSING');
  });
});
