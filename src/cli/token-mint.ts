// `residency-gate token mint`: signs a token with a local private JWK, for demos and tests only.
// Real callers get their tokens from their identity provider.
import { importJWK, SignJWT, type JWK } from 'jose';
import { readFile } from 'node:fs/promises';

export interface MintOptions {
  readonly keyFile: string;
  readonly issuer: string;
  readonly audience: string;
  readonly region: string;
  readonly subject: string;
  readonly ttlSeconds: number;
}

export async function mintToken(options: MintOptions): Promise<string> {
  const jwk = JSON.parse(await readFile(options.keyFile, 'utf8')) as JWK;
  if (jwk.d === undefined) throw new Error(`${options.keyFile} holds no private key`);
  if (typeof jwk.alg !== 'string') throw new Error(`${options.keyFile} names no "alg"`);
  const key = await importJWK(jwk, jwk.alg);
  return new SignJWT({ region: options.region })
    .setProtectedHeader({ alg: jwk.alg, typ: 'JWT', ...(jwk.kid ? { kid: jwk.kid } : {}) })
    .setIssuer(options.issuer)
    .setAudience(options.audience)
    .setSubject(options.subject)
    .setIssuedAt()
    .setExpirationTime(`${options.ttlSeconds}s`)
    .sign(key);
}
