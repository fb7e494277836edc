import { errors } from 'jose';
import { describe, expect, it } from 'vitest';
import { ResidencyError } from '../../../src/errors/catalog.js';
import { toResidencyError } from '../../../src/identity/verify-errors.js';

const claimFailure = (claim: string, reason: string): errors.JWTClaimValidationFailed =>
  new errors.JWTClaimValidationFailed('claim check failed', {}, claim, reason);

describe('toResidencyError', () => {
  it.each([
    [new errors.JWTExpired('expired', {}, 'exp', 'check_failed'), 'TOKEN_EXPIRED'],
    [claimFailure('nbf', 'check_failed'), 'TOKEN_NOT_YET_VALID'],
    [claimFailure('iat', 'check_failed'), 'TOKEN_NOT_YET_VALID'],
    [claimFailure('nbf', 'invalid'), 'TOKEN_CLAIM_INVALID'],
    [claimFailure('iss', 'check_failed'), 'TOKEN_ISSUER_UNKNOWN'],
    [claimFailure('aud', 'check_failed'), 'TOKEN_AUDIENCE_INVALID'],
    [claimFailure('aud', 'missing'), 'TOKEN_AUDIENCE_INVALID'],
    [claimFailure('sub', 'missing'), 'TOKEN_CLAIM_INVALID'],
    [claimFailure('typ', 'check_failed'), 'TOKEN_CLAIM_INVALID'],
    [new errors.JOSEAlgNotAllowed(), 'TOKEN_ALGORITHM_NOT_ALLOWED'],
    [new errors.JWSSignatureVerificationFailed(), 'TOKEN_SIGNATURE_INVALID'],
    [new errors.JWKSNoMatchingKey(), 'TOKEN_KEY_UNKNOWN'],
    [new errors.JWSInvalid(), 'TOKEN_MALFORMED'],
    [new errors.JWTInvalid(), 'TOKEN_MALFORMED'],
    [new errors.JOSENotSupported(), 'TOKEN_MALFORMED'],
  ] as const)('maps %o to %s', (err, code) => {
    const mapped = toResidencyError(err);
    expect(mapped.code).toBe(code);
    expect(mapped.cause).toBe(err);
  });

  it('passes a ResidencyError through unchanged', () => {
    const err = new ResidencyError('JWKS_UNAVAILABLE');
    expect(toResidencyError(err)).toBe(err);
  });

  it('reports anything else as INTERNAL, keeping the cause', () => {
    const err = new TypeError('RS256 requires key modulusLength to be 2048 bits or larger');
    const mapped = toResidencyError(err);
    expect(mapped.code).toBe('INTERNAL');
    expect(mapped.cause).toBe(err);
    expect(toResidencyError(new errors.JWKSInvalid()).code).toBe('INTERNAL');
    expect(toResidencyError('a string').code).toBe('INTERNAL');
  });
});
