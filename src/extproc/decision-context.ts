// What ext_authz decided, as ext_proc sees it: Envoy forwards the ext_authz namespace of the
// request's dynamic metadata in metadata_context (metadata_options.forwarding_namespaces).
import type { Metadata__Output } from '../envoy/generated/envoy/config/core/v3/Metadata.js';
import { fromStruct, type JsonValue } from '../envoy/struct.js';
import { METADATA_KEY, METADATA_NAMESPACE } from '../authz/check-response.js';
import { PASSING_DECISIONS, type AuditedDecision } from '../authz/outcome.js';

export interface DecisionContext {
  readonly requestId: string;
  readonly decision: string;
  /** The decision let the request through (allow, allow-masked, reroute or would-deny). */
  readonly passes: boolean;
  readonly originRegion: string | null;
  readonly target: string | null;
  readonly targetRegion: string | null;
  /** Where the data may go: the reroute endpoint's region, else the target's. */
  readonly allowedRegion: string | null;
  readonly maskRequest: string | null;
  readonly maskResponse: string | null;
}

const text = (v: JsonValue | undefined): string | null => (typeof v === 'string' && v !== '' ? v : null);

/** The decision, or undefined when Envoy forwarded none (then nothing may pass: fail closed). */
export function decisionFromMetadata(metadata: Metadata__Output | null | undefined): DecisionContext | undefined {
  const namespace = metadata?.filter_metadata?.[METADATA_NAMESPACE];
  if (!namespace) return undefined;
  const residency = fromStruct(namespace)[METADATA_KEY];
  if (residency === null || typeof residency !== 'object' || Array.isArray(residency)) return undefined;
  const decision = text(residency.decision);
  if (decision === null) return undefined;
  return {
    requestId: text(residency.request_id) ?? '',
    decision,
    passes: PASSING_DECISIONS.has(decision as AuditedDecision),
    originRegion: text(residency.origin_region),
    target: text(residency.target),
    targetRegion: text(residency.target_region),
    allowedRegion: text(residency.reroute_region) ?? text(residency.target_region),
    maskRequest: text(residency.mask_request),
    maskResponse: text(residency.mask_response),
  };
}
