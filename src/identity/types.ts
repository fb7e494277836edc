// What the rest of residency-gate knows of a caller once its identity has verified.

/** Where an identity came from: a bearer token we verified, the mTLS peer's SPIFFE ID, or Envoy's jwt_authn payload. */
export type IdentitySource = 'token' | 'spiffe' | 'jwt_authn';

export interface VerifiedIdentity {
  /** The token's `iss`; for a SPIFFE ID, `spiffe://<trust domain>`. */
  readonly issuer: string;
  /** The token's `sub`; for a SPIFFE ID, the ID itself. */
  readonly subject: string;
  /** The origin region read from the issuer's configured claim or the SPIFFE mapping; a declared policy region. */
  readonly region: string;
  readonly source: IdentitySource;
  /** The token's `exp`: seconds since the epoch, as in the JWT. */
  readonly expiresAt?: number;
}

/** Verifies a raw token (no "Bearer " prefix). Rejects with a ResidencyError carrying a TOKEN_* or JWKS_UNAVAILABLE code. */
export interface TokenVerifier {
  verify(token: string): Promise<VerifiedIdentity>;
  close(): void;
}
