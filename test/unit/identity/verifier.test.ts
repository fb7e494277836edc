// Signatures, algorithms and keys. Claims and regions are in verifier-claims.test.ts.
import { exportSPKI, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTokenVerifier } from '../../../src/identity/verifier.js';
import type { TokenVerifier } from '../../../src/identity/types.js';
import {
  claims,
  handBuilt,
  identityConfig,
  ISSUER,
  issuerConfig,
  jwksOf,
  makeKey,
  mint,
  NOW_S,
  REGIONS,
  rejectionCode,
  TestClock,
  writeJwksFile,
  type TestKey,
} from './fixtures.js';

const ES_ONLY = 'https://es-only.example.test';

let rs: TestKey;
let es: TestKey;
let ed: TestKey;
let ed25519: TestKey;
let ps: TestKey;
let verifier: TokenVerifier;

beforeAll(async () => {
  [rs, es, ed, ed25519, ps] = await Promise.all([
    makeKey('RS256', 'rs'),
    makeKey('ES256', 'es'),
    makeKey('EdDSA', 'ed'),
    makeKey('Ed25519', 'ed25519'),
    makeKey('PS256', 'ps'),
  ]);
  const file = await writeJwksFile(jwksOf(rs, es, ed, ed25519, ps));
  const issuers = [
    issuerConfig({ file }, { algorithms: ['RS256', 'ES256', 'EdDSA', 'Ed25519', 'PS256'] }),
    issuerConfig({ file }, { issuer: ES_ONLY, algorithms: ['ES256'] }),
  ];
  verifier = await createTokenVerifier(identityConfig(issuers), REGIONS, { now: new TestClock().now });
});
afterAll(() => verifier.close());

describe('createTokenVerifier: signatures', () => {
  it.each(['rs', 'es', 'ed', 'ed25519', 'ps'])('verifies a valid token signed with key %s', async (name) => {
    const key = { rs, es, ed, ed25519, ps }[name as 'rs'];
    await expect(verifier.verify(await mint(key))).resolves.toEqual({
      issuer: ISSUER,
      subject: 'user-1',
      region: 'eu-west',
      source: 'token',
      expiresAt: NOW_S + 600,
    });
  });

  it.each(['none', 'None', 'NONE', 'nOnE'])('refuses alg %s as TOKEN_ALGORITHM_NOT_ALLOWED', async (alg) => {
    const unsigned = handBuilt({ alg, typ: 'JWT' }, claims());
    expect(await rejectionCode(verifier.verify(unsigned))).toBe('TOKEN_ALGORITHM_NOT_ALLOWED');
    const withJunkSignature = handBuilt({ alg, kid: 'es' }, claims(), 'c2lnbmF0dXJl');
    expect(await rejectionCode(verifier.verify(withJunkSignature))).toBe('TOKEN_ALGORITHM_NOT_ALLOWED');
  });

  it('refuses an HS256 token keyed with the issuer public key (key confusion)', async () => {
    const pem = new TextEncoder().encode(await exportSPKI(rs.publicKey));
    const confused = await new SignJWT(claims()).setProtectedHeader({ alg: 'HS256', kid: 'rs' }).sign(pem);
    expect(await rejectionCode(verifier.verify(confused))).toBe('TOKEN_ALGORITHM_NOT_ALLOWED');
    const jwkBytes = new TextEncoder().encode(JSON.stringify(rs.jwk));
    const confusedJwk = await new SignJWT(claims()).setProtectedHeader({ alg: 'HS256' }).sign(jwkBytes);
    expect(await rejectionCode(verifier.verify(confusedJwk))).toBe('TOKEN_ALGORITHM_NOT_ALLOWED');
  });

  it('refuses an algorithm the issuer is not configured for, even with a published key', async () => {
    expect(await rejectionCode(verifier.verify(await mint(rs, { iss: ES_ONLY })))).toBe('TOKEN_ALGORITHM_NOT_ALLOWED');
    await expect(verifier.verify(await mint(es, { iss: ES_ONLY }))).resolves.toMatchObject({ issuer: ES_ONLY });
  });

  it('refuses a token whose payload was altered after signing', async () => {
    const [header, , signature] = (await mint(es)).split('.');
    const [, payload] = handBuilt({}, claims({ region: 'us-east' })).split('.');
    expect(await rejectionCode(verifier.verify(`${header}.${payload}.${signature}`))).toBe('TOKEN_SIGNATURE_INVALID');
  });

  it('refuses a token signed by another key under a published kid', async () => {
    const impostor = await makeKey('ES256', 'es');
    expect(await rejectionCode(verifier.verify(await mint(impostor)))).toBe('TOKEN_SIGNATURE_INVALID');
  });

  it('refuses a truncated signature', async () => {
    const token = await mint(ed);
    expect(await rejectionCode(verifier.verify(token.slice(0, -8)))).toBe('TOKEN_SIGNATURE_INVALID');
  });

  it('answers TOKEN_KEY_UNKNOWN for a kid the issuer does not publish', async () => {
    const stranger = await makeKey('ES256', 'stranger');
    expect(await rejectionCode(verifier.verify(await mint(stranger)))).toBe('TOKEN_KEY_UNKNOWN');
  });

  it('refuses a token with a crit header as TOKEN_MALFORMED', async () => {
    const token = await new SignJWT(claims())
      .setProtectedHeader({ alg: 'ES256', kid: 'es', crit: ['x-residency'], 'x-residency': 'eu' })
      .sign(es.privateKey, { crit: { 'x-residency': true } });
    expect(await rejectionCode(verifier.verify(token))).toBe('TOKEN_MALFORMED');
  });

  it('answers TOKEN_MALFORMED for tokens that do not decode', async () => {
    const valid = await mint(es);
    const [header, payload] = valid.split('.');
    const b64 = (s: string): string => Buffer.from(s).toString('base64url');
    const cases = [
      `${b64('{not json')}.${payload}.c2ln`,
      `${b64('[]')}.${payload}.c2ln`,
      `${b64('{"kid":"es"}')}.${payload}.c2ln`,
      `${header}.${b64('{not json')}.c2ln`,
      `${header}.${b64('"a string"')}.c2ln`,
      'abc.d$f.ghi',
      'only.two',
    ];
    for (const token of cases) expect(await rejectionCode(verifier.verify(token)), token).toBe('TOKEN_MALFORMED');
  });

  it('answers TOKEN_TOO_LARGE for a token over max_token_bytes', async () => {
    const token = await mint(es, { padding: 'x'.repeat(9000) });
    expect(await rejectionCode(verifier.verify(token))).toBe('TOKEN_TOO_LARGE');
  });

  it('answers TOKEN_ISSUER_UNKNOWN for an unconfigured or absent issuer', async () => {
    expect(await rejectionCode(verifier.verify(await mint(es, { iss: 'https://other.example.test' })))).toBe('TOKEN_ISSUER_UNKNOWN');
    expect(await rejectionCode(verifier.verify(await mint(es, { iss: undefined })))).toBe('TOKEN_ISSUER_UNKNOWN');
    expect(await rejectionCode(verifier.verify(await mint(es, { iss: 42 })))).toBe('TOKEN_CLAIM_INVALID');
  });
});

describe('createTokenVerifier: keys without kid', () => {
  it('tries every published key that fits when the token names none', async () => {
    const anonymous = (n: number): Promise<TestKey> => makeKey('ES256', `anon-${n}`, { kid: false });
    const [a, b, c] = await Promise.all([anonymous(1), anonymous(2), anonymous(3)]);
    const file = await writeJwksFile(jwksOf(a, b));
    const anon = await createTokenVerifier(identityConfig([issuerConfig({ file })]), REGIONS, { now: new TestClock().now });
    try {
      const signedByB = await new SignJWT(claims()).setProtectedHeader({ alg: 'ES256' }).sign(b.privateKey);
      await expect(anon.verify(signedByB)).resolves.toMatchObject({ subject: 'user-1' });
      const signedByC = await new SignJWT(claims()).setProtectedHeader({ alg: 'ES256' }).sign(c.privateKey);
      expect(await rejectionCode(anon.verify(signedByC))).toBe('TOKEN_SIGNATURE_INVALID');
    } finally {
      anon.close();
    }
  });
});

describe('createTokenVerifier: startup', () => {
  it('rejects when a key file cannot be loaded', async () => {
    const config = identityConfig([issuerConfig({ file: '/nonexistent/jwks.json' })]);
    await expect(createTokenVerifier(config, REGIONS)).rejects.toThrow(/\/nonexistent\/jwks\.json/);
  });
});
