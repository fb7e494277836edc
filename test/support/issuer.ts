// A token issuer made at test time: its own key, a JWKS file on disk, and a mint function.
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWTPayload } from 'jose';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const ISSUER = 'https://issuer.test.residency-gate';
export const AUDIENCE = 'residency-gate';

export interface TestIssuer {
  readonly dir: string;
  readonly jwksFile: string;
  mint(claims: JWTPayload & { region?: unknown }, options?: { expiresIn?: string | number; issuer?: string; audience?: string; kid?: string }): Promise<string>;
  /** The same claims signed by a key the issuer does not publish, under the published kid. */
  forge(claims: JWTPayload): Promise<string>;
}

export async function createTestIssuer(): Promise<TestIssuer> {
  const dir = await mkdtemp(join(tmpdir(), 'rg-issuer-'));
  const kid = 'test-es256';
  const { publicKey, privateKey } = await generateKeyPair('ES256', { extractable: true });
  const other = await generateKeyPair('ES256');
  const jwksFile = join(dir, 'jwks.json');
  await writeFile(jwksFile, JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' }] }));

  const sign = (key: CryptoKey, claims: JWTPayload, options: Parameters<TestIssuer['mint']>[1] = {}) =>
    new SignJWT({ ...claims })
      .setProtectedHeader({ alg: 'ES256', kid: options.kid ?? kid, typ: 'JWT' })
      .setIssuer(options.issuer ?? ISSUER)
      .setAudience(options.audience ?? AUDIENCE)
      .setSubject(claims.sub ?? 'alice')
      .setIssuedAt()
      .setExpirationTime(options.expiresIn ?? '5m')
      .sign(key);

  return {
    dir,
    jwksFile,
    mint: (claims, options) => sign(privateKey, claims, options),
    forge: (claims) => sign(other.privateKey, claims),
  };
}

/** A hand-built unsigned token: header {alg}, the claims, an empty signature. */
export function unsignedToken(claims: JWTPayload, alg = 'none'): string {
  const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
  return `${b64({ alg, typ: 'JWT' })}.${b64(claims)}.`;
}
