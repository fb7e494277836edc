// The token attack corpus: every row is one hostile (or deliberately odd) request, run through what
// a Check runs — resolveIdentity, which calls findBearerToken and then the real verifier (keys from
// JWKS files, jose underneath, frozen clock) — and the catalog code it must be refused with. A few
// rows are accepted on purpose (a real token carrying jku/x5u/jwk, spacing and casing of the
// scheme): they prove those headers and spellings are ignored, not that they are required.
//
// Duplicate JSON keys (RFC 7519 §4: reject, or use the lexically last member): jose parses with
// JSON.parse, which keeps the last member, and residency-gate reads the token twice — unverified to
// pick the issuer, verified for every claim — both through JSON.parse. So the value checked is the
// value used, always the last one; a first `region` can never be validated while a second is used.
// The rows "duplicate region …" and "duplicate iss …" pin that down.
import { base64url, exportJWK, exportSPKI, generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ResidencyError, type ErrorCode } from '../../../src/errors/catalog.js';
import { resolveIdentity } from '../../../src/identity/resolve.js';
import type { TokenVerifier, VerifiedIdentity } from '../../../src/identity/types.js';
import { createTokenVerifier } from '../../../src/identity/verifier.js';
import { JwksServer } from '../identity/jwks-server.js';
import { AUDIENCE, claims, handBuilt, identityConfig, ISSUER, issuerConfig, jwksOf, makeKey, mint, NOW_S, REGIONS, TestClock, writeJwksFile, type TestKey } from '../identity/fixtures.js';

const ISSUER_B = 'https://idp-b.example.test';
const MAX_TOKEN_BYTES = 8192;

let rs: TestKey; // issuer A, RS256, kid "rs"
let es: TestKey; // issuer A, ES256, kid "es"
let bKey: TestKey; // issuer B, ES256, kid "b-es"
let bSameKid: TestKey; // issuer B, ES256, kid "es" (collides with A's)
let attacker: TestKey; // nobody publishes it; kid "es"
let attackerServer: JwksServer;
let real: TokenVerifier;
let verifier: TokenVerifier & { verify: ReturnType<typeof vi.fn<TokenVerifier['verify']>> };

const identity = () =>
  identityConfig(
    [
      issuerConfig({ file: fileA }, { algorithms: ['RS256', 'ES256'] }),
      issuerConfig({ file: fileB }, { issuer: ISSUER_B, audience: AUDIENCE, algorithms: ['ES256'] }),
    ],
    { max_token_bytes: MAX_TOKEN_BYTES },
  );
let fileA: string;
let fileB: string;

beforeAll(async () => {
  [rs, es, bKey, bSameKid, attacker] = await Promise.all([makeKey('RS256', 'rs'), makeKey('ES256', 'es'), makeKey('ES256', 'b-es'), makeKey('ES256', 'es'), makeKey('ES256', 'es')]);
  fileA = await writeJwksFile(jwksOf(rs, es));
  fileB = await writeJwksFile(jwksOf(bKey, bSameKid));
  attackerServer = await JwksServer.start();
  attackerServer.serve('/jwks.json', { body: jwksOf(attacker) });
  attackerServer.serve('/cert.pem', { body: 'not fetched' });
  real = await createTokenVerifier(identity(), REGIONS, { now: new TestClock().now });
  verifier = { verify: vi.fn((token: string) => real.verify(token)), close: () => real.close() };
});

afterAll(async () => {
  real.close();
  await attackerServer.close();
});

type Headers = Record<string, string>;
interface Attack {
  readonly name: string;
  readonly make: () => Headers | Promise<Headers>;
  /** A catalog code, or the region an accepted request resolves to. */
  readonly expected: ErrorCode | { readonly accept: string };
  /** Refused before the signature verifier is ever called. */
  readonly beforeVerify?: boolean;
}

const bearer = (token: string): Headers => ({ authorization: `Bearer ${token}` });
const b64 = (text: string): string => Buffer.from(text).toString('base64url');
const signWith = (key: TestKey, payload: Record<string, unknown>, header: Record<string, unknown> = {}): Promise<string> =>
  new SignJWT(payload).setProtectedHeader({ alg: key.alg, kid: key.kid, ...header }).sign(key.privateKey);
/** Signs `header.payload` as given (raw JSON text), so payloads jose would never produce can be signed. */
async function signRaw(key: TestKey, headerJson: string, payloadJson: string): Promise<string> {
  const input = `${b64(headerJson)}.${b64(payloadJson)}`;
  const signature = await crypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, key.privateKey, new TextEncoder().encode(input));
  return `${input}.${base64url.encode(new Uint8Array(signature))}`;
}
const hs256 = async (secret: Uint8Array, header: Record<string, unknown> = {}): Promise<string> =>
  new SignJWT(claims()).setProtectedHeader({ alg: 'HS256', ...header }).sign(secret);
const pem = async (key: TestKey): Promise<Uint8Array> => new TextEncoder().encode(await exportSPKI(key.publicKey));
const validPayloadJson = (extra = ''): string => JSON.stringify(claims()).replace(/}$/, `${extra}}`);

const attacks: Attack[] = [
  // alg none, in every spelling, signed or not
  ...['none', 'None', 'NONE', 'nOnE'].map((alg): Attack => ({ name: `alg "${alg}", empty signature`, make: () => bearer(handBuilt({ alg, typ: 'JWT' }, claims())), expected: 'TOKEN_ALGORITHM_NOT_ALLOWED' })),
  { name: 'alg "none" with a kid and a junk signature', make: () => bearer(handBuilt({ alg: 'none', kid: 'es' }, claims(), 'c2lnbmF0dXJl')), expected: 'TOKEN_ALGORITHM_NOT_ALLOWED' },
  { name: 'alg " none " padded with spaces', make: () => bearer(handBuilt({ alg: ' none ' }, claims())), expected: 'TOKEN_ALGORITHM_NOT_ALLOWED' },
  // key confusion: the public key used as an HMAC secret
  { name: 'HS256 keyed with the RSA public key PEM', make: async () => bearer(await hs256(await pem(rs), { kid: 'rs' })), expected: 'TOKEN_ALGORITHM_NOT_ALLOWED' },
  { name: 'HS256 keyed with the EC public key PEM', make: async () => bearer(await hs256(await pem(es), { kid: 'es' })), expected: 'TOKEN_ALGORITHM_NOT_ALLOWED' },
  { name: 'HS256 keyed with the EC public JWK text', make: async () => bearer(await hs256(new TextEncoder().encode(JSON.stringify(es.jwk)))), expected: 'TOKEN_ALGORITHM_NOT_ALLOWED' },
  { name: 'RS256 header over the EC key id (algorithm/key mismatch)', make: async () => bearer(await signWith(rs, claims(), { kid: 'es' })), expected: 'TOKEN_KEY_UNKNOWN' },
  // key ids
  { name: 'unknown kid', make: async () => bearer(await signWith(es, claims(), { kid: 'rotated-away' })), expected: 'TOKEN_KEY_UNKNOWN' },
  { name: 'kid with path traversal', make: async () => bearer(await signWith(es, claims(), { kid: '../../etc/passwd' })), expected: 'TOKEN_KEY_UNKNOWN' },
  { name: 'kid with SQL', make: async () => bearer(await signWith(es, claims(), { kid: "' OR 1=1--" })), expected: 'TOKEN_KEY_UNKNOWN' },
  { name: 'kid of the wrong type (object)', make: async () => bearer(await signRaw(es, JSON.stringify({ alg: 'ES256', kid: { $ne: null } }), validPayloadJson())), expected: 'TOKEN_KEY_UNKNOWN' },
  // keys offered by the token itself: never used
  { name: 'jku to an attacker JWKS, signed with the attacker key', make: async () => bearer(await signWith(attacker, claims(), { jku: attackerServer.url('/jwks.json') })), expected: 'TOKEN_SIGNATURE_INVALID' },
  { name: 'x5u to an attacker certificate, signed with the attacker key', make: async () => bearer(await signWith(attacker, claims(), { x5u: attackerServer.url('/cert.pem') })), expected: 'TOKEN_SIGNATURE_INVALID' },
  { name: 'embedded jwk of the attacker key, signed with it', make: async () => bearer(await signWith(attacker, claims(), { jwk: await exportJWK(attacker.publicKey) })), expected: 'TOKEN_SIGNATURE_INVALID' },
  { name: 'embedded jwk of the attacker key, no kid', make: async () => bearer(await new SignJWT(claims()).setProtectedHeader({ alg: 'ES256', jwk: await exportJWK(attacker.publicKey) }).sign(attacker.privateKey)), expected: 'TOKEN_SIGNATURE_INVALID' },
  { name: 'jku to an attacker JWKS, signed with the real key (header ignored)', make: async () => bearer(await signWith(es, claims(), { jku: attackerServer.url('/jwks.json') })), expected: { accept: 'eu-west' } },
  { name: 'x5u to an attacker certificate, signed with the real key (header ignored)', make: async () => bearer(await signWith(es, claims(), { x5u: attackerServer.url('/cert.pem') })), expected: { accept: 'eu-west' } },
  { name: 'embedded attacker jwk, signed with the real key (header ignored)', make: async () => bearer(await signWith(es, claims(), { jwk: await exportJWK(attacker.publicKey) })), expected: { accept: 'eu-west' } },
  // critical extensions
  { name: 'crit with an unknown entry', make: async () => bearer(await new SignJWT(claims()).setProtectedHeader({ alg: 'ES256', kid: 'es', crit: ['x-evil'], 'x-evil': 1 }).sign(es.privateKey, { crit: { 'x-evil': true } })), expected: 'TOKEN_MALFORMED' },
  { name: 'crit with b64: false (unencoded payload)', make: () => bearer(handBuilt({ alg: 'ES256', kid: 'es', b64: false, crit: ['b64'] }, claims(), 'c2ln')), expected: 'TOKEN_MALFORMED' },
  // time
  { name: 'expired', make: async () => bearer(await mint(es, { exp: NOW_S - 3600 })), expected: 'TOKEN_EXPIRED' },
  { name: 'expired just past the clock tolerance', make: async () => bearer(await mint(es, { exp: NOW_S - 31 })), expected: 'TOKEN_EXPIRED' },
  { name: 'not yet valid (nbf in an hour)', make: async () => bearer(await mint(es, { nbf: NOW_S + 3600 })), expected: 'TOKEN_NOT_YET_VALID' },
  { name: 'issued far in the future (iat in a year)', make: async () => bearer(await mint(es, { iat: NOW_S + 365 * 86400, exp: NOW_S + 366 * 86400 })), expected: 'TOKEN_NOT_YET_VALID' },
  { name: 'exp missing', make: async () => bearer(await mint(es, { exp: undefined })), expected: 'TOKEN_CLAIM_INVALID' },
  { name: 'exp as a string', make: async () => bearer(await mint(es, { exp: String(NOW_S + 600) })), expected: 'TOKEN_CLAIM_INVALID' },
  // issuer and audience
  { name: 'wrong issuer', make: async () => bearer(await mint(es, { iss: 'https://evil.example.test' })), expected: 'TOKEN_ISSUER_UNKNOWN' },
  { name: 'issuer with a trailing slash', make: async () => bearer(await mint(es, { iss: `${ISSUER}/` })), expected: 'TOKEN_ISSUER_UNKNOWN' },
  { name: 'issuer missing', make: async () => bearer(await mint(es, { iss: undefined })), expected: 'TOKEN_ISSUER_UNKNOWN' },
  { name: 'issuer as an array', make: async () => bearer(await mint(es, { iss: [ISSUER] })), expected: 'TOKEN_CLAIM_INVALID' },
  { name: 'wrong audience', make: async () => bearer(await mint(es, { aud: 'someone-else' })), expected: 'TOKEN_AUDIENCE_INVALID' },
  { name: 'audience array without ours', make: async () => bearer(await mint(es, { aud: ['a', 'b', `${AUDIENCE}-x`] })), expected: 'TOKEN_AUDIENCE_INVALID' },
  { name: 'audience missing', make: async () => bearer(await mint(es, { aud: undefined })), expected: 'TOKEN_AUDIENCE_INVALID' },
  { name: 'audience array with ours among others (accepted)', make: async () => bearer(await mint(es, { aud: ['other', AUDIENCE] })), expected: { accept: 'eu-west' } },
  // another issuer's key
  { name: 'issuer B key claiming issuer A, B kid', make: async () => bearer(await mint(bKey, { iss: ISSUER })), expected: 'TOKEN_KEY_UNKNOWN' },
  { name: 'issuer B key claiming issuer A, kid colliding with A', make: async () => bearer(await mint(bSameKid, { iss: ISSUER })), expected: 'TOKEN_SIGNATURE_INVALID' },
  { name: 'issuer B key claiming issuer A, no kid', make: async () => bearer(await new SignJWT(claims()).setProtectedHeader({ alg: 'ES256' }).sign(bKey.privateKey)), expected: 'TOKEN_SIGNATURE_INVALID' },
  { name: 'issuer B token for issuer B (control: accepted)', make: async () => bearer(await mint(bKey, { iss: ISSUER_B })), expected: { accept: 'eu-west' } },
  // subject
  { name: 'sub missing', make: async () => bearer(await mint(es, { sub: undefined })), expected: 'TOKEN_CLAIM_INVALID' },
  { name: 'sub empty', make: async () => bearer(await mint(es, { sub: '' })), expected: 'TOKEN_CLAIM_INVALID' },
  // region
  { name: 'region missing', make: async () => bearer(await mint(es, { region: undefined })), expected: 'TOKEN_REGION_MISSING' },
  { name: 'region empty', make: async () => bearer(await mint(es, { region: '' })), expected: 'TOKEN_REGION_MISSING' },
  { name: 'region a number', make: async () => bearer(await mint(es, { region: 1 })), expected: 'TOKEN_CLAIM_INVALID' },
  { name: 'region an array', make: async () => bearer(await mint(es, { region: ['eu-west'] })), expected: 'TOKEN_CLAIM_INVALID' },
  { name: 'region an object', make: async () => bearer(await mint(es, { region: { name: 'eu-west' } })), expected: 'TOKEN_CLAIM_INVALID' },
  { name: 'region null', make: async () => bearer(await mint(es, { region: null })), expected: 'TOKEN_CLAIM_INVALID' },
  { name: 'region unknown', make: async () => bearer(await mint(es, { region: 'mars-north-1' })), expected: 'TOKEN_REGION_UNKNOWN' },
  { name: 'region with a trailing space', make: async () => bearer(await mint(es, { region: 'eu-west ' })), expected: 'TOKEN_REGION_UNKNOWN' },
  { name: 'region in another case', make: async () => bearer(await mint(es, { region: 'EU-WEST' })), expected: 'TOKEN_REGION_UNKNOWN' },
  { name: 'region with a Unicode hyphen look-alike', make: async () => bearer(await mint(es, { region: 'eu\u2011west' })), expected: 'TOKEN_REGION_UNKNOWN' },
  { name: 'region only under __proto__', make: async () => bearer(await signRaw(es, JSON.stringify({ alg: 'ES256', kid: 'es' }), JSON.stringify(claims({ region: undefined })).replace(/}$/, ',"__proto__":{"region":"eu-west"}}'))), expected: 'TOKEN_REGION_MISSING' },
  // duplicate JSON keys: the last member wins, in both readings (see the top of the file)
  { name: 'duplicate region: known, then unknown', make: async () => bearer(await signRaw(es, JSON.stringify({ alg: 'ES256', kid: 'es' }), validPayloadJson(',"region":"mars-north-1"'))), expected: 'TOKEN_REGION_UNKNOWN' },
  { name: 'duplicate region: known, then another known (the last is used)', make: async () => bearer(await signRaw(es, JSON.stringify({ alg: 'ES256', kid: 'es' }), validPayloadJson(',"region":"us-east"'))), expected: { accept: 'us-east' } },
  { name: 'duplicate region: known, then a number', make: async () => bearer(await signRaw(es, JSON.stringify({ alg: 'ES256', kid: 'es' }), validPayloadJson(',"region":7'))), expected: 'TOKEN_CLAIM_INVALID' },
  { name: 'duplicate iss: ours, then another (the last is checked)', make: async () => bearer(await signRaw(es, JSON.stringify({ alg: 'ES256', kid: 'es' }), validPayloadJson(',"iss":"https://evil.example.test"'))), expected: 'TOKEN_ISSUER_UNKNOWN' },
  { name: 'duplicate exp: valid, then expired', make: async () => bearer(await signRaw(es, JSON.stringify({ alg: 'ES256', kid: 'es' }), validPayloadJson(`,"exp":${NOW_S - 3600}`))), expected: 'TOKEN_EXPIRED' },
  { name: 'duplicate alg in the header: ES256, then none', make: () => bearer(`${b64('{"alg":"ES256","kid":"es","alg":"none"}')}.${b64(validPayloadJson())}.`), expected: 'TOKEN_ALGORITHM_NOT_ALLOWED' },
  // size: refused before any decoding or verification
  { name: 'oversized token (claim padding)', make: async () => bearer(await mint(es, { padding: 'x'.repeat(MAX_TOKEN_BYTES) })), expected: 'TOKEN_TOO_LARGE', beforeVerify: true },
  { name: 'oversized header value (1 MiB)', make: () => bearer('a'.repeat(1024 * 1024)), expected: 'TOKEN_TOO_LARGE', beforeVerify: true },
  { name: 'oversized in multi-byte characters', make: () => bearer('é'.repeat(MAX_TOKEN_BYTES / 2 + 40)), expected: 'TOKEN_TOO_LARGE', beforeVerify: true },
  // encoding
  { name: 'base64 with "+" and "/" (not base64url)', make: () => bearer('eyJhbGciOiJFUzI1NiJ9.eyJz+/dWIiOiJ4In0.c2ln'), expected: 'TOKEN_MALFORMED', beforeVerify: true },
  { name: 'base64 padding "="', make: async () => bearer(`${await mint(es)}==`), expected: 'TOKEN_MALFORMED', beforeVerify: true },
  { name: 'header segment of impossible length (1 char)', make: async () => bearer(`a.${(await mint(es)).split('.').slice(1).join('.')}`), expected: 'TOKEN_MALFORMED' },
  { name: 'header is not JSON', make: async () => bearer(`${b64('{"alg":"ES256",')}.${(await mint(es)).split('.').slice(1).join('.')}`), expected: 'TOKEN_MALFORMED' },
  { name: 'header is a JSON array', make: async () => bearer(`${b64('["ES256"]')}.${(await mint(es)).split('.').slice(1).join('.')}`), expected: 'TOKEN_MALFORMED' },
  { name: 'payload is not JSON', make: async () => bearer(await signRaw(es, JSON.stringify({ alg: 'ES256', kid: 'es' }), '{"sub":"x",')), expected: 'TOKEN_MALFORMED' },
  { name: 'payload is a JSON string', make: async () => bearer(await signRaw(es, JSON.stringify({ alg: 'ES256', kid: 'es' }), '"eu-west"')), expected: 'TOKEN_MALFORMED' },
  { name: 'payload is invalid UTF-8', make: () => bearer(`${b64(JSON.stringify({ alg: 'ES256', kid: 'es' }))}.${Buffer.from([0x7b, 0xff, 0xfe, 0x7d]).toString('base64url')}.c2ln`), expected: 'TOKEN_MALFORMED' },
  { name: 'four segments (JWE-like)', make: async () => bearer(`${await mint(es)}.extra`), expected: 'TOKEN_MALFORMED', beforeVerify: true },
  // signature
  { name: 'signature stripped', make: async () => bearer((await mint(es)).replace(/[^.]+$/, '')), expected: 'TOKEN_SIGNATURE_INVALID' },
  { name: 'signature of another token', make: async () => bearer(`${(await mint(es, { region: 'us-east' })).split('.').slice(0, 2).join('.')}.${(await mint(es)).split('.')[2]}`), expected: 'TOKEN_SIGNATURE_INVALID' },
  // the Authorization header itself
  { name: 'two Authorization headers joined by Envoy with ","', make: async () => ({ authorization: `Bearer ${await mint(es)},Bearer ${await mint(es, { region: 'us-east' })}` }), expected: 'TOKEN_MALFORMED', beforeVerify: true },
  { name: 'two Authorization headers joined with ", "', make: async () => ({ authorization: `Bearer ${await mint(es)}, Bearer ${await mint(es)}` }), expected: 'TOKEN_MALFORMED', beforeVerify: true },
  { name: 'two tokens after one Bearer', make: async () => ({ authorization: `Bearer ${await mint(es)} ${await mint(es)}` }), expected: 'TOKEN_MALFORMED', beforeVerify: true },
  { name: 'token without the Bearer scheme', make: async () => ({ authorization: await mint(es) }), expected: 'TOKEN_MALFORMED', beforeVerify: true },
  { name: 'Basic credentials only (no bearer credential at all)', make: () => ({ authorization: 'Basic YWxpY2U6c2VjcmV0' }), expected: 'TOKEN_MISSING', beforeVerify: true },
  { name: '"Bearer" with extra spaces and tabs around the token (accepted)', make: async () => ({ authorization: `  Bearer \t  ${await mint(es)}   ` }), expected: { accept: 'eu-west' } },
  { name: 'lowercase "bearer" (accepted: the scheme is case-insensitive)', make: async () => ({ authorization: `bearer ${await mint(es)}` }), expected: { accept: 'eu-west' } },
  { name: 'valid token in a header that is not the configured one', make: async () => ({ 'x-id-token': await mint(es), 'x-authorization': `Bearer ${await mint(es)}` }), expected: 'TOKEN_MISSING', beforeVerify: true },
];

describe('token attack corpus', () => {
  it('has at least 40 attacks', () => {
    expect(attacks.filter((a) => typeof a.expected === 'string').length).toBeGreaterThanOrEqual(40);
    expect(new Set(attacks.map((a) => a.name)).size).toBe(attacks.length);
  });

  it.each(attacks)('$name', async ({ make, expected, beforeVerify }) => {
    verifier.verify.mockClear();
    const headers = await make();
    const settings = { identity: identity(), policy: { regions: REGIONS } };
    let outcome: VerifiedIdentity | ErrorCode;
    try {
      outcome = await resolveIdentity(settings, verifier, { headers });
    } catch (err) {
      if (!(err instanceof ResidencyError)) throw err;
      outcome = err.code;
    }
    if (typeof expected === 'string') {
      expect(outcome).toBe(expected);
    } else {
      expect(outcome).toMatchObject({ region: expected.accept, source: 'token' });
    }
    if (beforeVerify === true) expect(verifier.verify).not.toHaveBeenCalled();
  });

  it('never fetched a key from a URL a token named', () => {
    expect(attackerServer.count('/jwks.json')).toBe(0);
    expect(attackerServer.count('/cert.pem')).toBe(0);
  });
});

describe('key confusion with a fresh key pair', () => {
  it('HS256 over the raw SPKI bytes of an unpublished key is refused the same way', async () => {
    const { publicKey } = await generateKeyPair('ES256', { extractable: true });
    const token = await hs256(new TextEncoder().encode(await exportSPKI(publicKey)), { kid: 'es' });
    await expect(verifier.verify(token)).rejects.toMatchObject({ code: 'TOKEN_ALGORITHM_NOT_ALLOWED' });
  });
});
