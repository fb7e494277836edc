// Translates whatever token verification throws into the catalog's codes. jose's error classes are
// its own vocabulary; callers of the verifier should only ever see a ResidencyError.
import { errors } from 'jose';
import { ResidencyError, type ErrorCode } from '../errors/catalog.js';

export function toResidencyError(err: unknown): ResidencyError {
  if (err instanceof ResidencyError) return err;
  const code = codeOf(err);
  if (code !== undefined) return new ResidencyError(code, (err as Error).message, { cause: err });
  const message = err instanceof Error ? err.message : String(err);
  return new ResidencyError('INTERNAL', `token verification failed unexpectedly: ${message}`, { cause: err });
}

function codeOf(err: unknown): ErrorCode | undefined {
  // Subclasses before JOSEError; JWTExpired also carries a claim, but always means expiry here
  // since we never ask jose for a maximum token age.
  if (err instanceof errors.JWTExpired) return 'TOKEN_EXPIRED';
  if (err instanceof errors.JWTClaimValidationFailed) return claimCode(err.claim, err.reason);
  if (err instanceof errors.JOSEAlgNotAllowed) return 'TOKEN_ALGORITHM_NOT_ALLOWED';
  if (err instanceof errors.JWSSignatureVerificationFailed) return 'TOKEN_SIGNATURE_INVALID';
  if (err instanceof errors.JWKSNoMatchingKey) return 'TOKEN_KEY_UNKNOWN';
  if (err instanceof errors.JWSInvalid || err instanceof errors.JWTInvalid || err instanceof errors.JOSENotSupported) {
    return 'TOKEN_MALFORMED';
  }
  return undefined;
}

function claimCode(claim: string, reason: string): ErrorCode {
  switch (claim) {
    // A time claim that is not a number is a bad claim, not an early token.
    case 'nbf':
    case 'iat':
      return reason === 'check_failed' ? 'TOKEN_NOT_YET_VALID' : 'TOKEN_CLAIM_INVALID';
    case 'iss':
      return 'TOKEN_ISSUER_UNKNOWN';
    case 'aud':
      return 'TOKEN_AUDIENCE_INVALID';
    default:
      return 'TOKEN_CLAIM_INVALID';
  }
}
