// Reviewer tokens: verified like callers' tokens (keys, audience, expiry) against the reviewer
// issuers only, and accepted only with a reviewer role in the configured claim.
import { beforeAll, describe, expect, it } from 'vitest';
import { approvalsConfigSchema } from '../../../src/approvals/config.js';
import { ApprovalError } from '../../../src/approvals/errors.js';
import { createReviewerVerifier, type ReviewerVerifier } from '../../../src/approvals/reviewers.js';
import { createTestIssuer, ISSUER, type TestIssuer } from '../../support/issuer.js';

const REVIEWERS = 'https://reviewers.unit.test';
let issuer: TestIssuer;
let verifier: ReviewerVerifier;

beforeAll(async () => {
  issuer = await createTestIssuer();
  const config = approvalsConfigSchema.parse({
    reviewers: { issuers: [{ issuer: REVIEWERS, audience: 'approvals', jwks: { file: issuer.jwksFile }, role_claim: 'realm.roles', roles: ['approver', 'dpo'] }] },
  })!;
  verifier = await createReviewerVerifier(config.reviewers.issuers, { clockToleranceSeconds: 0 });
  return () => verifier.close();
});

const mint = (claims: Record<string, unknown>, options: { issuer?: string; audience?: string; expiresIn?: number | string } = {}) =>
  issuer.mint({ sub: 'rita', ...claims }, { issuer: REVIEWERS, audience: 'approvals', ...options });
const codeOf = (p: Promise<unknown>) => p.then(() => 'ok', (e: unknown) => (e instanceof ApprovalError ? e.code : String(e)));

describe('reviewer tokens', () => {
  it('accept a role in an array or in a space- or comma-separated string, at a dotted claim path', async () => {
    expect(await verifier.verify(await mint({ realm: { roles: ['viewer', 'dpo'] } }))).toEqual({ issuer: REVIEWERS, subject: 'rita', roles: ['dpo'] });
    expect((await verifier.verify(await mint({ realm: { roles: 'viewer approver' } }))).roles).toEqual(['approver']);
    expect((await verifier.verify(await mint({ realm: { roles: 'viewer,approver' } }))).roles).toEqual(['approver']);
  });

  it('refuse a token without a reviewer role (403), and one that does not verify as a reviewer token (401)', async () => {
    expect(await codeOf(verifier.verify(await mint({ realm: { roles: ['viewer'] } })))).toBe('REVIEWER_ROLE_MISSING');
    expect(await codeOf(verifier.verify(await mint({})))).toBe('REVIEWER_ROLE_MISSING');
    expect(await codeOf(verifier.verify(await mint({ realm: { roles: ['dpo'] } }, { issuer: ISSUER })))).toBe('REVIEWER_UNAUTHENTICATED');
    expect(await codeOf(verifier.verify(await mint({ realm: { roles: ['dpo'] } }, { audience: 'residency-gate' })))).toBe('REVIEWER_UNAUTHENTICATED');
    expect(await codeOf(verifier.verify(await mint({ realm: { roles: ['dpo'] } }, { expiresIn: Math.floor(Date.now() / 1000) - 60 })))).toBe('REVIEWER_UNAUTHENTICATED');
    expect(await codeOf(verifier.verify('not.a.token'))).toBe('REVIEWER_UNAUTHENTICATED');
  });
});
