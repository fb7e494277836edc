// Remembers tokens that verified, so an agent sending the same token on every request pays for the
// signature check once. Only successes are cached, keyed by the token's SHA-256 (the token itself
// is never kept), each until the token expires or `maxAgeMs` passes, whichever comes first: a key
// removed from the issuer's JWKS stops a cached token within that bound. The cache is bounded
// (least recently used out) and belongs to one verifier, so a config reload with new identity
// settings starts empty.
import { createHash } from 'node:crypto';
import type { TokenVerifier, VerifiedIdentity } from './types.js';

export interface TokenCacheOptions {
  readonly maxEntries: number;
  readonly maxAgeMs: number;
  /** Milliseconds since the epoch; tests freeze it. */
  readonly now?: () => number;
}

interface Entry {
  readonly identity: VerifiedIdentity;
  readonly until: number;
}

export function cachedVerifier(inner: TokenVerifier, options: TokenCacheOptions): TokenVerifier {
  const now = options.now ?? Date.now;
  const entries = new Map<string, Entry>();
  return {
    async verify(token) {
      const key = createHash('sha256').update(token).digest('base64url');
      const hit = entries.get(key);
      const at = now();
      if (hit !== undefined) {
        entries.delete(key);
        if (hit.until > at) {
          entries.set(key, hit);
          return hit.identity;
        }
      }
      const identity = await inner.verify(token);
      const expires = identity.expiresAt === undefined ? Infinity : identity.expiresAt * 1000;
      entries.set(key, { identity, until: Math.min(expires, at + options.maxAgeMs) });
      if (entries.size > options.maxEntries) entries.delete(entries.keys().next().value as string);
      return identity;
    },
    close() {
      entries.clear();
      inner.close();
    },
  };
}
