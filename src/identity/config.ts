// The `identity` section of the config file: where a caller's origin region may come from. Three
// sources, any combination: bearer tokens residency-gate verifies itself (`issuers`), the mTLS
// peer's SPIFFE ID (`spiffe`), and the payload Envoy's jwt_authn filter verified (`jwt_authn`).
// Regions named here are checked against policy.regions at the top level (src/config/schema.ts).
import { z } from 'zod';
import { spiffePatternProblem } from './spiffe-pattern.js';

const ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519'] as const;

const jwksSource = z
  .strictObject({
    file: z.string().min(1).optional(),
    url: z.url().optional(),
    discovery: z.boolean().optional(),
  })
  .refine((s) => [s.file !== undefined, s.url !== undefined, s.discovery === true].filter(Boolean).length === 1, {
    message: 'name exactly one of file, url or discovery: true',
  });

const issuer = z.strictObject({
  issuer: z.string().min(1),
  audience: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]),
  algorithms: z.array(z.enum(ALGORITHMS)).min(1).default(['RS256', 'ES256', 'EdDSA']),
  region_claim: z.string().min(1).default('region'),
  jwks: jwksSource,
  jwks_refresh_seconds: z.number().int().positive().default(600),
  jwks_cooldown_seconds: z.number().int().nonnegative().default(30),
  jwks_timeout_ms: z.number().int().positive().default(5000),
});

/** One SPIFFE mapping: IDs matching `pattern` (see spiffe-pattern.ts) come from `region`. */
const spiffeMapping = z.strictObject({
  pattern: z.string().superRefine((pattern, ctx) => {
    const problem = spiffePatternProblem(pattern);
    if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
  }),
  region: z.string().min(1),
});

/**
 * The payload Envoy's jwt_authn filter verified (payload_in_metadata). Read only when `trusted` is
 * true, which must be set only where jwt_authn runs before ext_authz on every route (docs/identity.md).
 */
const jwtAuthn = z.strictObject({
  trusted: z.boolean(),
  /** The provider's `payload_in_metadata`: the key under the envoy.filters.http.jwt_authn namespace. */
  payload_key: z.string().min(1).default('jwt_payload'),
  region_claim: z.string().min(1).default('region'),
  /** Accepted `iss` values; a payload from any other issuer is refused (TOKEN_ISSUER_UNKNOWN). */
  issuers: z.array(z.string().min(1)).min(1),
});

export const identityConfigSchema = z
  .strictObject({
    token_header: z.string().min(1).toLowerCase().default('authorization'),
    max_token_bytes: z.number().int().positive().default(8192),
    clock_tolerance_seconds: z.number().int().nonnegative().default(30),
    /** Bearer-token issuers; empty (or absent) when tokens reach residency-gate only through jwt_authn, or not at all. */
    issuers: z.array(issuer).default([]),
    /** First match wins. */
    spiffe: z.array(spiffeMapping).default([]),
    jwt_authn: jwtAuthn.optional(),
    /**
     * Tokens that verified are remembered, by their hash, until they expire or max_age_seconds
     * pass (the bound on how long a key removed from a JWKS keeps working). max_entries 0: off.
     */
    token_cache: z
      .strictObject({ max_entries: z.number().int().nonnegative().default(10_000), max_age_seconds: z.number().int().positive().default(60) })
      .prefault({}),
  })
  .superRefine((identity, ctx) => {
    if (identity.issuers.length === 0 && identity.spiffe.length === 0 && identity.jwt_authn?.trusted !== true) {
      ctx.addIssue({ code: 'custom', message: 'configure at least one identity source: issuers, spiffe, or jwt_authn with trusted: true' });
    }
  });

export type IdentityConfig = z.output<typeof identityConfigSchema>;
export type SpiffeMappingConfig = IdentityConfig['spiffe'][number];
export type JwtAuthnConfig = NonNullable<IdentityConfig['jwt_authn']>;

/** Every region the identity section names, with its path under `identity`, for the top-level check against policy.regions. */
export function identityRegionRefs(identity: IdentityConfig): Array<{ region: string; path: (string | number)[] }> {
  return identity.spiffe.map((m, i) => ({ region: m.region, path: ['spiffe', i, 'region'] }));
}
