// The JWT payload Envoy's jwt_authn filter verified, as an identity. With `payload_in_metadata`
// the filter writes the payload into the request's dynamic metadata, and ext_authz forwards that
// namespace (metadata_context_namespaces) in the CheckRequest. Clients cannot write dynamic
// metadata; the signature, expiry and audience were checked by Envoy. What is left for us: the
// issuer is one we accept, and subject and region are there and usable.
import type { JsonObject, JsonValue } from '../envoy/struct.js';
import { ResidencyError } from '../errors/catalog.js';
import { readClaim, readRegion } from './claims.js';
import type { JwtAuthnConfig } from './config.js';
import type { VerifiedIdentity } from './types.js';

/** The namespace jwt_authn writes its metadata under. */
export const JWT_AUTHN_NAMESPACE = 'envoy.filters.http.jwt_authn';

const isObject = (value: JsonValue | undefined): value is JsonObject => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * The identity in `metadata` (the jwt_authn namespace, already read out of Envoy's Struct), or
 * undefined when it holds no payload under `config.payload_key` (no token, or a route where
 * jwt_authn allowed a request without one). Throws a TOKEN_* ResidencyError for a payload we cannot use.
 */
export function jwtAuthnIdentity(metadata: JsonObject | undefined, config: JwtAuthnConfig, knownRegions: ReadonlySet<string>): VerifiedIdentity | undefined {
  if (metadata === undefined || !Object.hasOwn(metadata, config.payload_key)) return undefined;
  const payload = metadata[config.payload_key];
  if (!isObject(payload)) throw new ResidencyError('TOKEN_CLAIM_INVALID', `jwt_authn metadata "${config.payload_key}" is not a JWT payload object`);
  // Own keys only (readClaim), as for the region: a "__proto__" key in a payload must not supply a claim.
  const [iss, sub, exp] = ['iss', 'sub', 'exp'].map((name) => readClaim(payload, name));
  if (typeof iss !== 'string' || !config.issuers.includes(iss)) {
    throw new ResidencyError('TOKEN_ISSUER_UNKNOWN', `jwt_authn payload: issuer ${JSON.stringify(typeof iss === 'string' ? iss.slice(0, 200) : typeof iss)} is not in identity.jwt_authn.issuers`);
  }
  if (typeof sub !== 'string' || sub === '') throw new ResidencyError('TOKEN_CLAIM_INVALID', 'jwt_authn payload: "sub" claim is not a non-empty string');
  const region = readRegion(payload, config.region_claim);
  if (!knownRegions.has(region)) {
    throw new ResidencyError('TOKEN_REGION_UNKNOWN', `jwt_authn payload: region ${JSON.stringify(region.slice(0, 64))} is not declared in the policy`);
  }
  return { issuer: iss, subject: sub, region, source: 'jwt_authn', ...(typeof exp === 'number' ? { expiresAt: exp } : {}) };
}
