// The mTLS peer's SPIFFE ID as an identity. Envoy puts the client certificate's URI SAN into the
// CheckRequest's attributes.source.principal when the listener terminates TLS; the certificate
// chain was verified by Envoy, so the ID is as trustworthy as the CA Envoy is configured with.
// The ID is checked against the SPIFFE ID specification and mapped to a region by the first
// configured pattern it matches.
import { ResidencyError } from '../errors/catalog.js';
import type { SpiffeMappingConfig } from './config.js';
import { SpiffePattern } from './spiffe-pattern.js';
import type { VerifiedIdentity } from './types.js';

const SCHEME = 'spiffe://';
/** SPIFFE ID spec §2.3: an ID is at most 2048 bytes. */
const MAX_ID_BYTES = 2048;
/** §2.1: lower-case letters, digits, ".", "-", "_"; at most 255 characters. */
const TRUST_DOMAIN = /^[a-z0-9._-]{1,255}$/;
/** §2.2: letters, digits, ".", "-", "_"; never "." or ".." alone. */
const PATH_SEGMENT = /^[a-zA-Z0-9._-]+$/;

export interface SpiffeId {
  readonly id: string;
  readonly trustDomain: string;
}

/** Parses a SPIFFE ID strictly; throws SPIFFE_ID_INVALID with the reason. Nothing is decoded or normalised. */
export function parseSpiffeId(value: string): SpiffeId {
  const invalid = (reason: string): never => {
    throw new ResidencyError('SPIFFE_ID_INVALID', `SPIFFE ID ${JSON.stringify(value.slice(0, 256))}: ${reason}`);
  };
  if (Buffer.byteLength(value, 'utf8') > MAX_ID_BYTES) invalid(`longer than ${MAX_ID_BYTES} bytes`);
  if (!value.startsWith(SCHEME)) invalid(`does not start with "${SCHEME}"`);
  const rest = value.slice(SCHEME.length);
  const slash = rest.indexOf('/');
  const trustDomain = slash < 0 ? rest : rest.slice(0, slash);
  if (!TRUST_DOMAIN.test(trustDomain)) invalid('the trust domain is empty, too long or has characters other than a-z 0-9 . - _');
  if (slash >= 0) {
    for (const segment of rest.slice(slash + 1).split('/')) {
      if (segment === '') invalid('empty path segment (a trailing "/" or "//")');
      if (segment === '.' || segment === '..') invalid(`path segment "${segment}"`);
      if (!PATH_SEGMENT.test(segment)) invalid('a path segment has characters other than a-z A-Z 0-9 . - _ (percent-encoding, a query or a fragment)');
    }
  }
  return { id: value, trustDomain };
}

export interface SpiffeMapper {
  /**
   * The identity for Envoy's `principal`, or undefined when the peer presented no SPIFFE ID (no
   * client certificate, or one whose principal is not a `spiffe:` URI). Throws SPIFFE_ID_INVALID
   * for a malformed ID and SPIFFE_ID_UNMAPPED when no pattern matches.
   */
  identify(principal: string | undefined): VerifiedIdentity | undefined;
}

export function createSpiffeMapper(mappings: readonly SpiffeMappingConfig[]): SpiffeMapper {
  const compiled = mappings.map((m) => ({ pattern: new SpiffePattern(m.pattern), region: m.region }));
  return {
    identify(principal) {
      // Envoy falls back to a DNS SAN or the subject for certificates without a URI SAN; those are
      // not SPIFFE IDs. Anything that claims the scheme, in any case, must be a valid one.
      if (principal === undefined || !/^spiffe:/i.test(principal)) return undefined;
      const { id, trustDomain } = parseSpiffeId(principal);
      const match = compiled.find((m) => m.pattern.matches(id));
      if (match === undefined) throw new ResidencyError('SPIFFE_ID_UNMAPPED', `SPIFFE ID ${JSON.stringify(id.slice(0, 256))} matches no identity.spiffe pattern`);
      return { issuer: `${SCHEME}${trustDomain}`, subject: id, region: match.region, source: 'spiffe' };
    },
  };
}
