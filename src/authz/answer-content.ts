// What a client and Envoy's access log learn about a decision: the deny body and the dynamic
// metadata. Both come from catalog messages and policy names only, never from internal errors.
import { ERROR_CATALOG, type ErrorCode } from '../errors/catalog.js';
import type { JsonObject } from '../envoy/struct.js';
import type { CheckOutcome } from './check-service.js';

export function denyBody(outcome: CheckOutcome, code: ErrorCode): JsonObject {
  return {
    code,
    message: ERROR_CATALOG[code].message,
    origin_region: outcome.identity?.region ?? null,
    target: outcome.target?.name ?? null,
    target_region: outcome.target?.region ?? null,
    request_id: outcome.facts.requestId,
  };
}

export function residencyMetadata(outcome: CheckOutcome): JsonObject {
  const allowed = outcome.decision?.outcome === 'allow' && outcome.code === undefined;
  return {
    decision: allowed ? 'allow' : 'deny',
    code: outcome.code ?? null,
    rule: outcome.decision?.rule ?? null,
    origin_region: outcome.identity?.region ?? null,
    target: outcome.target?.name ?? null,
    target_region: outcome.target?.region ?? null,
    request_id: outcome.facts.requestId,
    // ext_proc reads these (Envoy forwards this namespace to it): which profile masks which body.
    mask_request: allowed ? (outcome.decision?.masking.request ?? null) : null,
    mask_response: allowed ? (outcome.decision?.masking.response ?? null) : null,
  };
}
