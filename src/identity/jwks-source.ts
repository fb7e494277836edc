// Where an issuer's signing keys come from: a local file, a URL, or the issuer's OIDC discovery
// document. Each load yields a checked JSON Web Key Set or throws; caching and refresh policy live
// in jwks.ts.
import { readFile } from 'node:fs/promises';
import { createLocalJWKSet, type JSONWebKeySet } from 'jose';
import type { IssuerConfig } from '../config/schema.js';

/** A JWKS document far larger than this is a misconfiguration or an attack, not a key set. */
const MAX_DOCUMENT_BYTES = 1024 * 1024;

export interface JwksSource {
  /** For messages: the file path or URL the keys come from. */
  readonly description: string;
  /** True when the keys are local, so a failure to load them at start is a configuration error. */
  readonly local: boolean;
  load(): Promise<JSONWebKeySet>;
}

export class JwksLoadError extends Error {
  constructor(source: string, reason: string, options?: { cause?: unknown }) {
    super(`JWKS from ${source}: ${reason}`, options);
    this.name = 'JwksLoadError';
  }
}

export function createJwksSource(issuer: IssuerConfig, fetchImpl: typeof fetch): JwksSource {
  const { file, url } = issuer.jwks;
  if (file !== undefined) {
    return { description: file, local: true, load: async () => checkedKeySet(file, parseJson(file, await readLocal(file))) };
  }
  const timeoutMs = issuer.jwks_timeout_ms;
  if (url !== undefined) {
    return { description: url, local: false, load: async () => checkedKeySet(url, await fetchJson(fetchImpl, url, timeoutMs)) };
  }
  const discovery = `${issuer.issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`;
  return {
    description: discovery,
    local: false,
    load: async () => {
      const jwksUri = readJwksUri(discovery, issuer.issuer, await fetchJson(fetchImpl, discovery, timeoutMs));
      return checkedKeySet(jwksUri, await fetchJson(fetchImpl, jwksUri, timeoutMs));
    },
  };
}

async function readLocal(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    throw new JwksLoadError(file, (err as Error).message, { cause: err });
  }
}

function parseJson(source: string, text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new JwksLoadError(source, `not JSON (${(err as Error).message})`, { cause: err });
  }
}

async function fetchJson(fetchImpl: typeof fetch, url: string, timeoutMs: number): Promise<unknown> {
  let response: Response;
  try {
    response = await fetchImpl(url, { signal: AbortSignal.timeout(timeoutMs), headers: { accept: 'application/json' } });
  } catch (err) {
    throw new JwksLoadError(url, `fetch failed (${(err as Error).message})`, { cause: err });
  }
  if (!response.ok) {
    await response.body?.cancel();
    throw new JwksLoadError(url, `HTTP ${response.status}`);
  }
  return parseJson(url, await readCapped(url, response));
}

// Reads the body but stops at the cap, so a hostile or broken endpoint cannot make us buffer
// an unbounded response.
async function readCapped(url: string, response: Response): Promise<string> {
  if (response.body === null) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > MAX_DOCUMENT_BYTES) {
        await reader.cancel();
        throw new JwksLoadError(url, `response exceeds ${MAX_DOCUMENT_BYTES} bytes`);
      }
      chunks.push(value);
    }
  } catch (err) {
    if (err instanceof JwksLoadError) throw err;
    throw new JwksLoadError(url, `reading the response failed (${(err as Error).message})`, { cause: err });
  }
  return Buffer.concat(chunks).toString('utf8');
}

function readJwksUri(discovery: string, issuer: string, doc: unknown): string {
  if (typeof doc !== 'object' || doc === null) throw new JwksLoadError(discovery, 'not a JSON object');
  const { issuer: declared, jwks_uri: jwksUri } = doc as { issuer?: unknown; jwks_uri?: unknown };
  // OpenID Connect Discovery 1.0 §4.3: a document that names another issuer must not be used.
  if (declared !== issuer) throw new JwksLoadError(discovery, `declares issuer ${JSON.stringify(declared)}, expected ${JSON.stringify(issuer)}`);
  if (typeof jwksUri !== 'string' || !URL.canParse(jwksUri)) throw new JwksLoadError(discovery, 'has no valid jwks_uri');
  const protocol = new URL(jwksUri).protocol;
  if (protocol !== 'https:' && protocol !== 'http:') throw new JwksLoadError(discovery, `jwks_uri uses ${protocol}`);
  return jwksUri;
}

function checkedKeySet(source: string, doc: unknown): JSONWebKeySet {
  try {
    // Building the lookup function is jose's own shape check of a key set.
    createLocalJWKSet(doc as JSONWebKeySet);
  } catch (err) {
    throw new JwksLoadError(source, 'not a JSON Web Key Set', { cause: err });
  }
  const keySet = doc as JSONWebKeySet;
  // An empty set can only be a publishing mistake; keeping the previous keys is the safer reading.
  if (keySet.keys.length === 0) throw new JwksLoadError(source, 'holds no keys');
  return keySet;
}
