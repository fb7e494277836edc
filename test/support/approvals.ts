// The approvals set-up tests share: an `approvals` config section (reviewers come from a second
// issuer name signed by the test issuer's key), reviewer tokens, and the admin API as a client sees it.
import type { TestIssuer } from './issuer.js';

export const REVIEWER_ISSUER = 'https://reviewers.test.residency-gate';
export const REVIEWER_AUDIENCE = 'residency-gate-approvals';
export const REVIEWER_ROLE = 'residency-reviewers';

export function approvalsSection(issuer: TestIssuer, store: Record<string, unknown>, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    store,
    reviewers: {
      issuers: [{ issuer: REVIEWER_ISSUER, audience: REVIEWER_AUDIENCE, jwks: { file: issuer.jwksFile }, role_claim: 'groups', roles: [REVIEWER_ROLE] }],
    },
    grant: { min_lifetime_seconds: 0.5, default_lifetime_seconds: 3600, max_lifetime_seconds: 7200 },
    sweep_interval_seconds: 0.2,
    ...extra,
  };
}

/** A reviewer's token (groups: [residency-reviewers] unless `groups` says otherwise). */
export function reviewerToken(issuer: TestIssuer, subject: string, groups: unknown = [REVIEWER_ROLE]): Promise<string> {
  return issuer.mint({ sub: subject, groups }, { issuer: REVIEWER_ISSUER, audience: REVIEWER_AUDIENCE });
}

export interface ApiAnswer {
  readonly status: number;
  readonly body: Record<string, unknown>;
}

export async function adminApi(adminUrl: string, method: 'GET' | 'POST', path: string, token?: string, body?: unknown): Promise<ApiAnswer> {
  const res = await fetch(`${adminUrl}${path}`, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}
