// Checkpoint signatures: a compact JWS (EdDSA, Ed25519) over {head, seq, ts, file}. The chain
// alone lets anyone with write access rewrite the whole file consistently; a signature over its
// head does not, unless they also hold the private key.
import { readFile } from 'node:fs/promises';
import { CompactSign, compactVerify, createLocalJWKSet, importJWK, type JWK } from 'jose';
import { z } from 'zod';
import { hex64 } from './record-schema.js';

/** What a checkpoint's JWS payload says: the chain head, the seq it covers, when, and which trail. */
export interface CheckpointClaims {
  readonly head: string;
  readonly seq: number;
  readonly ts: string;
  /** The trail's name: the base name of the configured live file (rotated files keep it). */
  readonly file: string;
}

const claimsSchema = z.strictObject({ head: hex64, seq: z.number().int().nonnegative(), ts: z.string(), file: z.string() });

export interface CheckpointSigner {
  sign(claims: CheckpointClaims): Promise<string>;
}

export interface CheckpointVerifier {
  /** The claims of a JWS that verifies with one of the keys; throws otherwise. */
  verify(jws: string): Promise<CheckpointClaims>;
}

const ALG = 'EdDSA';

export async function loadSigningKey(file: string): Promise<CheckpointSigner> {
  const jwk = await readJwk(file);
  if (!isEd25519(jwk) || typeof jwk.d !== 'string') {
    throw new Error(`${file}: an audit signing key must be a private Ed25519 JWK ("kty": "OKP", "crv": "Ed25519", with "d")`);
  }
  const key = await importJWK(jwk, ALG);
  const header = { alg: ALG, ...(typeof jwk.kid === 'string' ? { kid: jwk.kid } : {}) };
  const encoder = new TextEncoder();
  return {
    sign: (claims) =>
      new CompactSign(encoder.encode(JSON.stringify({ head: claims.head, seq: claims.seq, ts: claims.ts, file: claims.file })))
        .setProtectedHeader(header)
        .sign(key),
  };
}

/**
 * Loads the key(s) verify trusts: a public JWK, a private JWK (only its public half is used) or a
 * JWKS, so that a trail signed over a key rollover still verifies (the JWS header names the kid).
 */
export async function loadVerifyKeys(file: string): Promise<CheckpointVerifier> {
  const json = await readJson(file);
  const keys = isJwks(json) ? json.keys : [json as JWK];
  const publicKeys = keys.filter(isEd25519).map(publicHalf);
  if (publicKeys.length === 0) throw new Error(`${file}: holds no Ed25519 key ("kty": "OKP", "crv": "Ed25519")`);
  const decoder = new TextDecoder();
  const parse = (payload: Uint8Array): CheckpointClaims => claimsSchema.parse(JSON.parse(decoder.decode(payload)));
  if (publicKeys.length === 1 && publicKeys[0]) {
    const key = await importJWK(publicKeys[0], ALG);
    return { verify: async (jws) => parse((await compactVerify(jws, key, { algorithms: [ALG] })).payload) };
  }
  const jwks = createLocalJWKSet({ keys: publicKeys });
  return { verify: async (jws) => parse((await compactVerify(jws, jwks, { algorithms: [ALG] })).payload) };
}

function publicHalf(jwk: JWK): JWK {
  return { kty: jwk.kty, crv: jwk.crv, x: jwk.x, ...(jwk.kid !== undefined ? { kid: jwk.kid } : {}) };
}

function isEd25519(jwk: JWK): boolean {
  return jwk.kty === 'OKP' && jwk.crv === 'Ed25519' && typeof jwk.x === 'string';
}

function isJwks(json: unknown): json is { keys: JWK[] } {
  return typeof json === 'object' && json !== null && Array.isArray((json as { keys?: unknown }).keys);
}

async function readJwk(file: string): Promise<JWK> {
  const json = await readJson(file);
  if (typeof json !== 'object' || json === null || isJwks(json)) throw new Error(`${file}: expected one JWK`);
  return json as JWK;
}

async function readJson(file: string): Promise<unknown> {
  const text = await readFile(file, 'utf8');
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new Error(`${file}: not JSON (${(err as Error).message})`, { cause: err });
  }
}
