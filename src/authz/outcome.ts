// What the Check pipeline knew when it stopped, and what that means at the edge: whether the
// request passes, and the one word the audit trail, the headers and the metadata use for it.
import type { ErrorCode } from '../errors/catalog.js';
import type { VerifiedIdentity } from '../identity/types.js';
import type { Decision, ResolvedTarget } from '../policy/types.js';
import type { CheckFacts } from './access-request.js';

export interface CheckOutcome {
  readonly facts: CheckFacts;
  readonly identity?: VerifiedIdentity;
  readonly target?: ResolvedTarget;
  readonly decision?: Decision;
  /** Set whenever the request does not pass: the catalog code the client sees. */
  readonly code?: ErrorCode;
}

/** `would-deny`: passes only because a rule (or the whole policy) is in dry run. */
export type AuditedDecision = 'allow' | 'allow-masked' | 'reroute' | 'would-deny' | 'deny' | 'approval';

export const PASSING_DECISIONS: ReadonlySet<AuditedDecision> = new Set(['allow', 'allow-masked', 'reroute', 'would-deny']);

export function auditedDecision(outcome: CheckOutcome): AuditedDecision {
  const { decision } = outcome;
  if (decision === undefined) return 'deny';
  if (outcome.code !== undefined) return decision.outcome === 'approval' ? 'approval' : 'deny';
  if (decision.wouldDeny) return 'would-deny';
  return decision.outcome === 'approval' ? 'approval' : decision.outcome;
}

export function passes(outcome: CheckOutcome): boolean {
  return outcome.identity !== undefined && PASSING_DECISIONS.has(auditedDecision(outcome));
}
