// What a client, the upstream and Envoy's access log learn about a decision: the deny body, the
// x-residency-* headers and the dynamic metadata. All come from catalog messages and policy names,
// never from internal errors.
import { ERROR_CATALOG, type ErrorCode } from '../errors/catalog.js';
import type { JsonObject } from '../envoy/struct.js';
import { auditedDecision, passes, type CheckOutcome } from './outcome.js';

/** The header Envoy's route table matches to steer a rerouted request to the in-region endpoint. */
export const ROUTE_HEADER = 'x-residency-route';

/** The header naming the approval ticket whose grant let a request pass. */
export const TICKET_HEADER = 'x-residency-ticket';

export function denyBody(outcome: CheckOutcome, code: ErrorCode): JsonObject {
  const { approval } = outcome;
  return {
    code,
    message: ERROR_CATALOG[code].message,
    origin_region: outcome.identity?.region ?? null,
    target: outcome.target?.name ?? null,
    target_region: outcome.target?.region ?? null,
    request_id: outcome.facts.requestId,
    // Held for approval: which ticket, where it stands, where to ask. Re-issue the request once approved.
    ...(approval !== undefined && !approval.granted ? { ticket: approval.ticket, ticket_state: approval.state ?? null, approval_url: approval.reviewUrl ?? null } : {}),
  };
}

/** Headers the upstream receives on a request that passes (Envoy's route may match them too). */
export function passHeaders(outcome: CheckOutcome): Record<string, string> {
  const { decision, identity } = outcome;
  if (!decision || !identity) throw new Error('passHeaders needs a decision and an identity');
  const headers: Record<string, string> = {
    'x-residency-origin-region': identity.region,
    'x-residency-target': decision.target.name,
    'x-residency-target-region': decision.target.region,
    'x-residency-decision': auditedDecision(outcome),
    'x-residency-rule': decision.rule,
  };
  if (decision.outcome === 'reroute') {
    headers[ROUTE_HEADER] = decision.rerouteTo.routeKey;
    headers['x-residency-route-region'] = decision.rerouteTo.region;
  }
  if (outcome.approval?.granted === true) headers[TICKET_HEADER] = outcome.approval.ticket;
  return headers;
}

export function residencyMetadata(outcome: CheckOutcome): JsonObject {
  const passing = passes(outcome);
  const decision = outcome.decision;
  return {
    decision: auditedDecision(outcome),
    code: outcome.code ?? null,
    rule: decision?.rule ?? null,
    origin_region: outcome.identity?.region ?? null,
    target: outcome.target?.name ?? null,
    target_region: outcome.target?.region ?? null,
    request_id: outcome.facts.requestId,
    reroute_region: decision?.outcome === 'reroute' ? decision.rerouteTo.region : null,
    ticket: outcome.approval?.ticket ?? null,
    // ext_proc reads these (Envoy forwards this namespace to it): which profile masks which body.
    mask_request: passing ? (decision?.masking.request ?? null) : null,
    mask_response: passing ? (decision?.masking.response ?? null) : null,
  };
}
