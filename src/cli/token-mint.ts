// `residency-gate token mint`: signs a token with a local private JWK, for demos and tests only.
// Real callers get their tokens from their identity provider.
import { importJWK, SignJWT, type JWK } from 'jose';
import { readFile } from 'node:fs/promises';
import type { Config, IssuerConfig } from '../config/schema.js';

/** Why token mint refuses a config or an issuer: it signs for demo configs only. */
export class NotADemoError extends Error {}

/**
 * The issuer `token mint` may sign for: the config must say `demo: true`, and the issuer (the one
 * named, else the first) must take its keys from a local JWKS file. A config that trusts remote
 * keys only, or lacks the flag, is a production config: minting for it is refused.
 */
export function demoIssuer(config: Config, configFile: string, issuer?: string): IssuerConfig {
  if (!config.demo) throw new NotADemoError(`${configFile} is not a demo config (no "demo: true"); token mint signs for demo configs only`);
  const chosen = issuer === undefined ? config.identity.issuers.find((i) => i.jwks.file !== undefined) : config.identity.issuers.find((i) => i.issuer === issuer);
  if (chosen === undefined) {
    throw new NotADemoError(issuer === undefined ? `${configFile} has no issuer with a local jwks.file` : `${configFile} does not trust issuer "${issuer}"`);
  }
  if (chosen.jwks.file === undefined) throw new NotADemoError(`issuer "${chosen.issuer}" takes its keys from ${chosen.jwks.url ?? 'discovery'}, not a local file: token mint signs for demo issuers only`);
  return chosen;
}

export interface MintOptions {
  readonly keyFile: string;
  readonly issuer: string;
  readonly audience: string;
  readonly region: string;
  readonly subject: string;
  readonly ttlSeconds: number;
  /** The claim holding the region (the issuer's region_claim if it is a top-level name); default "region". */
  readonly regionClaim?: string;
}

export async function mintToken(options: MintOptions): Promise<string> {
  const jwk = JSON.parse(await readFile(options.keyFile, 'utf8')) as JWK;
  if (jwk.d === undefined) throw new Error(`${options.keyFile} holds no private key`);
  if (typeof jwk.alg !== 'string') throw new Error(`${options.keyFile} names no "alg"`);
  const key = await importJWK(jwk, jwk.alg);
  return new SignJWT({ [options.regionClaim ?? 'region']: options.region })
    .setProtectedHeader({ alg: jwk.alg, typ: 'JWT', ...(jwk.kid ? { kid: jwk.kid } : {}) })
    .setIssuer(options.issuer)
    .setAudience(options.audience)
    .setSubject(options.subject)
    .setIssuedAt()
    .setExpirationTime(`${options.ttlSeconds}s`)
    .sign(key);
}
