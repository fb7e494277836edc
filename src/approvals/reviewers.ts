// Who may review: a token from one of approvals.reviewers.issuers whose role claim holds one of
// its roles. Keys, algorithms, audience and clock checks are the identity verifier's own (the same
// key cache and jose call); reviewers need no region claim.
import type { JWTVerifyOptions } from 'jose';
import { readClaim } from '../identity/claims.js';
import { assertCompactJws } from '../identity/credentials.js';
import { loadIssuerKeys } from '../identity/issuer-keys.js';
import { readUnverified } from '../identity/unverified.js';
import { verifySignedJwt } from '../identity/verifier.js';
import { ApprovalError } from './errors.js';
import type { ReviewerIssuerConfig } from './config.js';
import type { Principal } from './types.js';

export interface Reviewer extends Principal {
  readonly roles: readonly string[];
}

export interface ReviewerVerifier {
  /** Rejects with REVIEWER_UNAUTHENTICATED or REVIEWER_ROLE_MISSING. */
  verify(token: string): Promise<Reviewer>;
  close(): void;
}

export interface ReviewerVerifierOptions {
  readonly clockToleranceSeconds: number;
  readonly now?: () => number;
  readonly fetch?: typeof fetch;
}

export async function createReviewerVerifier(issuers: readonly ReviewerIssuerConfig[], options: ReviewerVerifierOptions): Promise<ReviewerVerifier> {
  const now = options.now ?? Date.now;
  const { trusted, close } = await loadIssuerKeys(issuers, { now, fetch: options.fetch ?? globalThis.fetch });
  return {
    close,
    async verify(token) {
      let chosen;
      let payload;
      try {
        if (Buffer.byteLength(token, 'utf8') > 16_384) throw new Error('token too large');
        assertCompactJws(token);
        chosen = trusted.get(readUnverified(token).issuer);
        if (chosen === undefined) throw new Error('issuer is not a reviewer issuer');
        const { config, keys } = chosen;
        const verifyOptions: JWTVerifyOptions = {
          issuer: config.issuer,
          audience: typeof config.audience === 'string' ? config.audience : [...config.audience],
          algorithms: [...config.algorithms],
          clockTolerance: options.clockToleranceSeconds,
          currentDate: new Date(now()),
          requiredClaims: ['sub', 'exp'],
        };
        payload = await verifySignedJwt(token, keys, verifyOptions);
      } catch (err) {
        throw new ApprovalError('REVIEWER_UNAUTHENTICATED', `reviewer token refused: ${(err as Error).message}`, { cause: err });
      }
      const sub = payload.sub;
      if (typeof sub !== 'string' || sub === '') throw new ApprovalError('REVIEWER_UNAUTHENTICATED', 'reviewer token has no subject');
      const claim = readClaim(payload, chosen.config.role_claim);
      const held = typeof claim === 'string' ? claim.split(/[\s,]+/) : Array.isArray(claim) ? claim.filter((c): c is string => typeof c === 'string') : [];
      const roles = held.filter((r) => chosen.config.roles.includes(r));
      if (roles.length === 0) throw new ApprovalError('REVIEWER_ROLE_MISSING', `subject ${sub} has none of the reviewer roles in "${chosen.config.role_claim}"`);
      return { issuer: chosen.config.issuer, subject: sub, roles };
    },
  };
}
