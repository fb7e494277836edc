// Who is calling, from every credential the request carries. Each configured source is read:
//
//   token      the bearer token in identity.token_header, verified here (identity.issuers)
//   jwt_authn  the payload Envoy's jwt_authn filter verified (identity.jwt_authn, trusted: true)
//   spiffe     the mTLS peer's SPIFFE ID (identity.spiffe)
//
// None present: TOKEN_MISSING. Any present source that does not verify: its own error, whatever
// the others say (a bad token is not rescued by a good certificate). Sources that verify but name
// different regions: IDENTITY_CONFLICT. Otherwise the identity of the first source in the order
// above, which names its source.
import type { JsonObject } from '../envoy/struct.js';
import { ResidencyError } from '../errors/catalog.js';
import type { IdentityConfig } from './config.js';
import { findBearerToken } from './credentials.js';
import { jwtAuthnIdentity } from './jwt-authn.js';
import { createSpiffeMapper, type SpiffeMapper } from './spiffe.js';
import type { TokenVerifier, VerifiedIdentity } from './types.js';

/** What the request offers as credentials (the Check pipeline's facts satisfy this). */
export interface IdentityEvidence {
  /** Lower-case header names. */
  readonly headers: Readonly<Record<string, string>>;
  /** Envoy's attributes.source.principal: the client certificate's URI SAN under mTLS. */
  readonly peerPrincipal?: string;
  /** The envoy.filters.http.jwt_authn namespace of the dynamic metadata, when Envoy forwarded it. */
  readonly jwtAuthn?: JsonObject;
}

export interface IdentitySettings {
  readonly identity: IdentityConfig;
  readonly policy: { readonly regions: readonly string[] };
}

interface Prepared {
  readonly spiffe: SpiffeMapper | undefined;
  readonly knownRegions: ReadonlySet<string>;
}

// Patterns are compiled once per loaded config; a reload brings a new (frozen) identity object.
const prepared = new WeakMap<IdentityConfig, Prepared>();

function prepare(settings: IdentitySettings): Prepared {
  let ready = prepared.get(settings.identity);
  if (ready === undefined) {
    const { spiffe } = settings.identity;
    ready = { spiffe: spiffe.length > 0 ? createSpiffeMapper(spiffe) : undefined, knownRegions: new Set(settings.policy.regions) };
    prepared.set(settings.identity, ready);
  }
  return ready;
}

export async function resolveIdentity(settings: IdentitySettings, verifier: TokenVerifier, evidence: IdentityEvidence): Promise<VerifiedIdentity> {
  const { identity } = settings;
  const { spiffe, knownRegions } = prepare(settings);
  const found: VerifiedIdentity[] = [];

  if (identity.issuers.length > 0) {
    const token = bearerToken(evidence, identity);
    if (token !== undefined) found.push(await verifier.verify(token));
  }
  if (identity.jwt_authn?.trusted === true) {
    const fromJwtAuthn = jwtAuthnIdentity(evidence.jwtAuthn, identity.jwt_authn, knownRegions);
    if (fromJwtAuthn !== undefined) found.push(fromJwtAuthn);
  }
  const fromSpiffe = spiffe?.identify(evidence.peerPrincipal);
  if (fromSpiffe !== undefined) found.push(fromSpiffe);

  const [first] = found;
  if (first === undefined) throw new ResidencyError('TOKEN_MISSING', `no credential: looked for ${lookedFor(identity).join(', ')}`);
  const disagreeing = found.filter((f) => f.region !== first.region);
  if (disagreeing.length > 0) {
    throw new ResidencyError('IDENTITY_CONFLICT', `credentials disagree on the region: ${found.map((f) => `${f.source} says ${f.region}`).join(', ')}`);
  }
  return first;
}

/** The token, or undefined when the request carries none; a header that is there but unusable throws. */
function bearerToken(evidence: IdentityEvidence, identity: IdentityConfig): string | undefined {
  try {
    return findBearerToken(evidence.headers, identity.token_header, identity.max_token_bytes);
  } catch (err) {
    // TOKEN_MISSING also covers another scheme (Basic, ...): not a bearer credential, so absent.
    if (err instanceof ResidencyError && err.code === 'TOKEN_MISSING') return undefined;
    throw err;
  }
}

function lookedFor(identity: IdentityConfig): string[] {
  const sources: string[] = [];
  if (identity.issuers.length > 0) sources.push(`a bearer token in ${identity.token_header}`);
  if (identity.jwt_authn?.trusted === true) sources.push(`a jwt_authn payload under "${identity.jwt_authn.payload_key}"`);
  if (identity.spiffe.length > 0) sources.push('a SPIFFE ID from the client certificate');
  return sources;
}
