// Turns a raw bearer token into a VerifiedIdentity, or a ResidencyError that says why not.
// The order matters: cheap shape checks, then refusals that need no key, then the signature and
// the standard claims (jose), then the checks jose does not make, and last the region.
import { errors, jwtVerify, type CryptoKey, type JWTPayload, type JWTVerifyOptions } from 'jose';
import type { Config } from '../config/schema.js';
import { ResidencyError } from '../errors/catalog.js';
import { readRegion } from './claims.js';
import { assertCompactJws } from './credentials.js';
import type { IssuerKeys } from './jwks.js';
import type { TokenVerifier, VerifiedIdentity } from './types.js';
import { readUnverified } from './unverified.js';
import { toResidencyError } from './verify-errors.js';
import { loadIssuerKeys, type TrustedIssuer } from './issuer-keys.js';

export interface VerifierOptions {
  /** Clock in ms since the epoch; tests freeze it. Also drives the JWKS refresh cooldown. */
  readonly now?: () => number;
  /** Replaces the global fetch for JWKS and discovery requests. */
  readonly fetch?: typeof fetch;
  /** Told of every JWKS fetch, for the metrics. */
  readonly onJwksRefresh?: (issuer: string, ok: boolean) => void;
}


/**
 * Builds the verifier and loads every issuer's keys before resolving, so the server starts
 * serving with keys in hand. Rejects (with a JwksLoadError) only when a `jwks.file` cannot be
 * loaded; issuers whose remote keys are unreachable start empty and answer JWKS_UNAVAILABLE until
 * a later fetch succeeds.
 */
export async function createTokenVerifier(
  identity: Config['identity'],
  regions: readonly string[],
  options: VerifierOptions = {},
): Promise<TokenVerifier> {
  const now = options.now ?? Date.now;
  const { trusted, close } = await loadIssuerKeys(identity.issuers, { now, fetch: options.fetch ?? globalThis.fetch, onRefresh: options.onJwksRefresh });

  const knownRegions = new Set(regions);
  const context: VerifyContext = { identity, trusted, knownRegions, now };
  return {
    verify: async (token) => {
      try {
        return await verifyToken(token, context);
      } catch (err) {
        throw toResidencyError(err);
      }
    },
    close,
  };
}

interface VerifyContext {
  readonly identity: Config['identity'];
  readonly trusted: ReadonlyMap<string, TrustedIssuer>;
  readonly knownRegions: ReadonlySet<string>;
  readonly now: () => number;
}

async function verifyToken(token: string, ctx: VerifyContext): Promise<VerifiedIdentity> {
  // The verifier may be called without findBearerToken in front of it; keep its guards.
  if (Buffer.byteLength(token, 'utf8') > ctx.identity.max_token_bytes) throw new ResidencyError('TOKEN_TOO_LARGE');
  assertCompactJws(token);
  const { issuer } = readUnverified(token);
  const chosen = ctx.trusted.get(issuer);
  if (chosen === undefined) throw new ResidencyError('TOKEN_ISSUER_UNKNOWN', `issuer ${JSON.stringify(issuer.slice(0, 200))} is not configured`);
  const { config, keys } = chosen;

  const nowMs = ctx.now();
  const tolerance = ctx.identity.clock_tolerance_seconds;
  const verifyOptions: JWTVerifyOptions = {
    issuer: config.issuer,
    audience: typeof config.audience === 'string' ? config.audience : [...config.audience],
    algorithms: [...config.algorithms],
    clockTolerance: tolerance,
    currentDate: new Date(nowMs),
    requiredClaims: ['sub', 'exp'],
  };
  const payload = await verifySignedJwt(token, keys, verifyOptions);

  // jose checks iat only against a maximum token age, which we do not set; a token minted in the
  // future is a clock fault or a forgery either way.
  if (typeof payload.iat === 'number' && payload.iat > Math.floor(nowMs / 1000) + tolerance) {
    throw new ResidencyError('TOKEN_NOT_YET_VALID', '"iat" is in the future');
  }
  const { sub, exp } = payload;
  if (typeof sub !== 'string' || sub === '') throw new ResidencyError('TOKEN_CLAIM_INVALID', '"sub" claim is not a non-empty string');

  const region = readRegion(payload, config.region_claim);
  if (!ctx.knownRegions.has(region)) {
    throw new ResidencyError('TOKEN_REGION_UNKNOWN', `region ${JSON.stringify(region.slice(0, 64))} is not declared in the policy`);
  }
  return { issuer: config.issuer, subject: sub, region, source: 'token', ...(exp === undefined ? {} : { expiresAt: exp }) };
}

export async function verifySignedJwt(token: string, keys: IssuerKeys, options: JWTVerifyOptions): Promise<JWTPayload> {
  try {
    return (await jwtVerify(token, keys.getKey, options)).payload;
  } catch (err) {
    if (!(err instanceof errors.JWKSMultipleMatchingKeys)) throw err;
    // Several published keys fit a token without a `kid` (typical mid-rotation): try each.
    return await verifyWithAny(token, err, options);
  }
}

async function verifyWithAny(token: string, candidates: AsyncIterable<CryptoKey>, options: JWTVerifyOptions): Promise<JWTPayload> {
  for await (const key of candidates) {
    try {
      return (await jwtVerify(token, key, options)).payload;
    } catch (err) {
      if (!(err instanceof errors.JWSSignatureVerificationFailed)) throw err;
    }
  }
  throw new errors.JWSSignatureVerificationFailed();
}
