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
}

export type Outcome = 'allow' | 'deny';

export interface Decision {
  readonly outcome: Outcome;
  /** Set on every deny: the catalog code the client sees. */
  readonly code?: ErrorCode;
  readonly originRegion: string;
  readonly target: ResolvedTarget;
  /** The name of the rule that decided, so every decision can be traced to the policy. */
  readonly rule: string;
  /** The masking profiles ext_proc must apply to this request's bodies. */
  readonly masking: MaskingChoice;
}
