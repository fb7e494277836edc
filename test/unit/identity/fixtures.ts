// Keys, tokens and configuration for the identity tests. Keys are generated per run; the clock is
// frozen at NOW_MS so every time claim is exact.
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { base64url, exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JSONWebKeySet, type JWK, type JWTHeaderParameters, type JWTPayload } from 'jose';
import type { Config, IssuerConfig } from '../../../src/config/schema.js';
import { ResidencyError, type ErrorCode } from '../../../src/errors/catalog.js';

export const ISSUER = 'https://idp.example.test';
export const AUDIENCE = 'residency-gate';
export const REGIONS = ['eu-west', 'us-east'] as const;
export const NOW_MS = Date.UTC(2030, 0, 1, 12, 0, 0);
export const NOW_S = NOW_MS / 1000;

export type TestAlg = 'RS256' | 'ES256' | 'EdDSA' | 'Ed25519' | 'PS256';

export interface TestKey {
  readonly alg: TestAlg;
  readonly kid: string;
  readonly privateKey: CryptoKey;
  readonly publicKey: CryptoKey;
  /** The public JWK as an issuer would publish it. */
  readonly jwk: JWK;
}

export async function makeKey(alg: TestAlg, kid: string, publish: { kid?: boolean; alg?: boolean } = {}): Promise<TestKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const jwk: JWK = { ...(await exportJWK(publicKey)), use: 'sig' };
  if (publish.kid !== false) jwk.kid = kid;
  if (publish.alg !== false) jwk.alg = alg;
  return { alg, kid, privateKey, publicKey, jwk };
}

export function jwksOf(...keys: readonly TestKey[]): JSONWebKeySet {
  return { keys: keys.map((k) => k.jwk) };
}

/** Claims a valid token carries; pass `undefined` for a claim to leave it out. */
export function claims(overrides: Record<string, unknown> = {}): JWTPayload {
  const merged: Record<string, unknown> = {
    iss: ISSUER,
    aud: AUDIENCE,
    sub: 'user-1',
    region: 'eu-west',
    iat: NOW_S - 60,
    exp: NOW_S + 600,
    ...overrides,
  };
  return Object.fromEntries(Object.entries(merged).filter(([, v]) => v !== undefined));
}

export function mint(key: TestKey, claimOverrides: Record<string, unknown> = {}, header: Partial<JWTHeaderParameters> = {}): Promise<string> {
  return new SignJWT(claims(claimOverrides)).setProtectedHeader({ alg: key.alg, kid: key.kid, ...header }).sign(key.privateKey);
}

/** Joins JSON header and payload by hand, for tokens jose refuses to produce. */
export function handBuilt(header: Record<string, unknown>, payload: Record<string, unknown>, signature = ''): string {
  const part = (value: Record<string, unknown>): string => base64url.encode(JSON.stringify(value));
  return `${part(header)}.${part(payload)}.${signature}`;
}

export function issuerConfig(jwks: IssuerConfig['jwks'], overrides: Partial<IssuerConfig> = {}): IssuerConfig {
  return {
    issuer: ISSUER,
    audience: AUDIENCE,
    algorithms: ['RS256', 'ES256', 'EdDSA'],
    region_claim: 'region',
    jwks,
    jwks_refresh_seconds: 600,
    jwks_cooldown_seconds: 30,
    jwks_timeout_ms: 2000,
    ...overrides,
  };
}

export function identityConfig(issuers: readonly IssuerConfig[], overrides: Partial<Config['identity']> = {}): Config['identity'] {
  return { token_header: 'authorization', max_token_bytes: 8192, clock_tolerance_seconds: 30, issuers: [...issuers], spiffe: [], token_cache: { max_entries: 0, max_age_seconds: 60 }, ...overrides };
}

export async function writeJwksFile(keySet: unknown): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'rg-jwks-'));
  const file = join(dir, 'jwks.json');
  await writeFile(file, typeof keySet === 'string' ? keySet : JSON.stringify(keySet));
  return file;
}

/** A clock the tests move by hand. */
export class TestClock {
  ms = NOW_MS;
  readonly now = (): number => this.ms;
  advanceSeconds(seconds: number): void {
    this.ms += seconds * 1000;
  }
}

/** The catalog code a promise rejects with; fails the test if it resolves or rejects otherwise. */
export async function rejectionCode(promise: Promise<unknown>): Promise<ErrorCode> {
  let result: unknown;
  try {
    result = await promise;
  } catch (err) {
    if (err instanceof ResidencyError) return err.code;
    throw new Error(`expected a ResidencyError, got ${String(err)}`, { cause: err });
  }
  throw new Error(`expected a rejection, got ${JSON.stringify(result)}`);
}
