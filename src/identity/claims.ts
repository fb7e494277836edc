// Reads a configured claim out of a verified payload. Claim names are often URLs (namespaced
// claims such as "https://example.com/claims.region"), which contain dots themselves, so a plain
// split on "." would misread them.
import { ResidencyError } from '../errors/catalog.js';

type Claims = Readonly<Record<string, unknown>>;

function isClaims(value: unknown): value is Claims {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Resolves `path` in `payload`; `undefined` when nothing is there.
 *
 * The rule, applied at each level of nesting:
 * 1. if `path` is itself a key of the object, its value is the answer;
 * 2. otherwise take the longest prefix of `path` that ends just before a dot, is a key of the
 *    object, and holds an object; resolve the rest of the path (after that dot) inside it;
 * 3. if no prefix qualifies, the claim is absent.
 * There is no backtracking: once a prefix qualifies, a miss below it is a miss. So with the path
 * "https://example.com/claims.region", the key "https://example.com/claims" holding
 * `{ region: "eu" }` yields "eu", and `{ a: { b: 1 } }` with the path "a.b" yields 1.
 *
 * Only own keys count, so "__proto__" or "constructor" never reach Object.prototype.
 */
export function readClaim(payload: Claims, path: string): unknown {
  if (Object.hasOwn(payload, path)) return payload[path];
  for (let dot = path.lastIndexOf('.'); dot > 0; dot = path.lastIndexOf('.', dot - 1)) {
    const head = path.slice(0, dot);
    if (!Object.hasOwn(payload, head)) continue;
    const child = payload[head];
    if (isClaims(child)) return readClaim(child, path.slice(dot + 1));
  }
  return undefined;
}

/**
 * The caller's origin region: a non-empty string at `path`. Absent or empty is TOKEN_REGION_MISSING;
 * any other type (null included) is TOKEN_CLAIM_INVALID, since the issuer sent something we cannot
 * read as a region rather than nothing at all.
 */
export function readRegion(payload: Claims, path: string): string {
  const value = readClaim(payload, path);
  if (value === undefined || value === '') {
    throw new ResidencyError('TOKEN_REGION_MISSING', `claim "${path}" is absent`);
  }
  if (typeof value !== 'string') {
    throw new ResidencyError('TOKEN_CLAIM_INVALID', `claim "${path}" is a ${value === null ? 'null' : typeof value}, not a string`);
  }
  return value;
}
