// The plain types the policy works on. Nothing here knows Envoy or gRPC: the authz layer turns a
// CheckRequest into an AccessRequest, and a Decision back into Envoy's answer.
import type { ErrorCode } from '../errors/catalog.js';
import type { MaskingChoice } from './masking-rules.js';

export interface TargetHints {
  /** From the route's context_extensions (`residency.target`, `residency.region`), set by the mesh operator. */
  readonly routeTarget?: string;
  readonly routeRegion?: string;
  /** The request's :authority (host, with port where one was sent). */
  readonly authority: string;
  readonly path: string;
}

export interface ResolvedTarget {
  readonly name: string;
  readonly region: string;
  /** Where the name and region came from, for the audit trail and for debugging a route. */
  readonly source: 'route' | 'policy' | 'default';
  /** Data classification from the target table; empty for a target the table does not know. */
  readonly labels: readonly string[];
  /** Region → route key of the target's endpoint there; empty when the target has none. */
  readonly endpoints: Readonly<Record<string, string>>;
}

/** Where a reroute sends the request: the target's endpoint in the caller's own region. */
export interface RerouteTarget {
  readonly region: string;
  /** The key the Envoy route set-up maps to that endpoint's cluster. */
  readonly routeKey: string;
}

// One member per outcome, so that a switch on `outcome` knows which fields it has. Every member
// declares `code`, so callers may read it without narrowing first.
export interface AllowVerdict {
  readonly outcome: 'allow';
  readonly code?: undefined;
}
export interface DenyVerdict {
  readonly outcome: 'deny';
  /** The catalog code the client sees. */
  readonly code: ErrorCode;
}
export interface ApprovalVerdict {
  readonly outcome: 'approval';
  /** What the client sees until approvals can be presented; then the request may pass. */
  readonly code: 'APPROVAL_REQUIRED';
}
export interface MaskedVerdict {
  readonly outcome: 'allow-masked';
  readonly code?: undefined;
  /** The masking profile for the request body; also in `masking.request`. */
  readonly profile: string;
}
export interface RerouteVerdict {
  readonly outcome: 'reroute';
  readonly code?: undefined;
  readonly rerouteTo: RerouteTarget;
}

export type Verdict = AllowVerdict | DenyVerdict | ApprovalVerdict | MaskedVerdict | RerouteVerdict;
export type Outcome = Verdict['outcome'];

/** What a rule in dry run would have decided, had it been enforced; `rule` names it. */
export type IntendedOutcome = Verdict & { readonly rule: string };

interface DecisionFacts {
  readonly originRegion: string;
  readonly target: ResolvedTarget;
  /** The rule whose outcome is enforced: a rule's name, `same-region` or `default`. */
  readonly rule: string;
  /** The masking profiles ext_proc must apply to this request's bodies (none unless it passes). */
  readonly masking: MaskingChoice;
  /** A rule in dry run outranked the enforced one: `intended` says what it would have done. */
  readonly dryRun: boolean;
  /** The request is let through only because of dry run: enforced, it would be denied or held for approval. */
  readonly wouldDeny: boolean;
  readonly intended?: IntendedOutcome;
}

export type Decision = DecisionFacts & Verdict;
