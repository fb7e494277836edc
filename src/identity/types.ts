// What the rest of residency-gate knows of a caller once its token has verified.

export interface VerifiedIdentity {
  readonly issuer: string;
  readonly subject: string;
  /** The origin region read from the issuer's configured claim; a declared policy region. */
  readonly region: string;
  /** The token's `exp`: seconds since the epoch, as in the JWT. */
  readonly expiresAt?: number;
}

/** Verifies a raw token (no "Bearer " prefix). Rejects with a ResidencyError carrying a TOKEN_* or JWKS_UNAVAILABLE code. */
export interface TokenVerifier {
  verify(token: string): Promise<VerifiedIdentity>;
  close(): void;
}
