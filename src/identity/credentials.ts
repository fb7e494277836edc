// Finds the bearer token in request headers and rejects anything that is not plainly one compact
// JWS. The checks are cheap and run before any decoding, so hostile headers cost us little.
import { ResidencyError } from '../errors/catalog.js';

const AUTHORIZATION = 'authorization';

/** Three base64url segments; the signature may be empty so that `alg: none` reaches its own, clearer refusal. */
export const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

// Room for the scheme and surrounding whitespace on top of the token itself, so the size guard can
// run on the raw header value before we split it.
const SCHEME_ALLOWANCE = 32;

/**
 * Returns the raw token (no scheme) from `headerName`, whose key in `headers` is lower-case.
 *
 * The `authorization` header must read `Bearer <token>` (scheme case-insensitive). Any other
 * header name may carry either that form or the bare token, as gateways that forward a token in
 * a custom header often strip the scheme.
 */
export function findBearerToken(headers: Readonly<Record<string, string>>, headerName: string, maxBytes: number): string {
  const name = headerName.toLowerCase();
  const value = Object.hasOwn(headers, name) ? headers[name] : undefined;
  if (value === undefined || value.trim() === '') {
    throw new ResidencyError('TOKEN_MISSING', `no ${name} header`);
  }
  if (Buffer.byteLength(value, 'utf8') > maxBytes + SCHEME_ALLOWANCE) {
    throw new ResidencyError('TOKEN_TOO_LARGE', `${name} header exceeds ${maxBytes} bytes`);
  }
  // Envoy joins repeated headers with ","; two credentials are ambiguous, so neither is used.
  if (value.includes(',')) {
    throw new ResidencyError('TOKEN_MALFORMED', `${name} header carries more than one value`);
  }
  const token = tokenOf(value.trim().split(/[ \t]+/), name);
  if (Buffer.byteLength(token, 'utf8') > maxBytes) {
    throw new ResidencyError('TOKEN_TOO_LARGE', `token exceeds ${maxBytes} bytes`);
  }
  assertCompactJws(token);
  return token;
}

function tokenOf(parts: readonly string[], name: string): string {
  const [first = '', second, ...rest] = parts;
  const isBearer = first.toLowerCase() === 'bearer';
  if (rest.length > 0) {
    throw new ResidencyError('TOKEN_MALFORMED', `${name} header has more than one token`);
  }
  if (second !== undefined) {
    if (isBearer) return second;
    // Another scheme (Basic, Digest, ...) is a credential, but not the one we accept.
    throw new ResidencyError('TOKEN_MISSING', `${name} header uses scheme "${first.slice(0, 16)}", not Bearer`);
  }
  if (isBearer) throw new ResidencyError('TOKEN_MISSING', `${name} header names the Bearer scheme but no token`);
  if (name === AUTHORIZATION) {
    throw new ResidencyError('TOKEN_MALFORMED', 'authorization header lacks the Bearer scheme');
  }
  return first;
}

/** Throws TOKEN_MALFORMED unless `token` has the shape of a compact JWS. */
export function assertCompactJws(token: string): void {
  if (!COMPACT_JWS.test(token)) {
    throw new ResidencyError('TOKEN_MALFORMED', 'token is not three base64url segments');
  }
}
