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
  /** An `approval` rule held the request and approvals are on: the ticket it opened or joined, or whose grant let it pass. */
  readonly approval?: ApprovalNote;
}

export interface ApprovalNote {
  readonly ticket: string;
  /** true: a reviewer's grant let the request pass (decision `approved`). */
  readonly granted: boolean;
  /** The ticket's state, for the 403 body (pending, or expired/denied as seen). */
  readonly state?: string;
  /** Where to ask for approval (approvals.review_url, or the admin API's address). */
  readonly reviewUrl?: string | null;
}

/** `would-deny`: passes only because a rule (or the whole policy) is in dry run; `approved`: passes under a reviewer's grant. */
export type AuditedDecision = 'allow' | 'allow-masked' | 'reroute' | 'would-deny' | 'deny' | 'approval' | 'approved';

export const PASSING_DECISIONS: ReadonlySet<AuditedDecision> = new Set(['allow', 'allow-masked', 'reroute', 'would-deny', 'approved']);

export function auditedDecision(outcome: CheckOutcome): AuditedDecision {
  const { decision } = outcome;
  if (decision === undefined) return 'deny';
  if (outcome.code !== undefined) return decision.outcome === 'approval' ? 'approval' : 'deny';
  if (decision.wouldDeny) return 'would-deny';
  if (decision.outcome === 'approval') return outcome.approval?.granted === true ? 'approved' : 'approval';
  return decision.outcome;
}

export function passes(outcome: CheckOutcome): boolean {
  return outcome.identity !== undefined && PASSING_DECISIONS.has(auditedDecision(outcome));
}
