// The Check pipeline in its stages: facts from Envoy's request → identity → target → decision →
// audit → Envoy's answer. Each stage throws a ResidencyError with its own code; anything else is
// an INTERNAL deny. Nothing here answers OK unless a decision said allow and its record is durable.
import type { sendUnaryData, ServerUnaryCall } from '@grpc/grpc-js';
import type { Config } from '../config/schema.js';
import type { CheckRequest__Output } from '../envoy/generated/envoy/service/auth/v3/CheckRequest.js';
import type { CheckResponse } from '../envoy/generated/envoy/service/auth/v3/CheckResponse.js';
import type { AuthorizationHandlers } from '../envoy/generated/envoy/service/auth/v3/Authorization.js';
import { ResidencyError } from '../errors/catalog.js';
import { resolveIdentity } from '../identity/resolve.js';
import type { TokenVerifier, VerifiedIdentity } from '../identity/types.js';
import type { Logger } from '../logging/logger.js';
import { decide } from '../policy/decide.js';
import { resolveTarget } from '../policy/targets.js';
import type { ResolvedTarget } from '../policy/types.js';
import type { AuditWriter } from '../audit/writer.js';
import type { ApprovalService } from '../approvals/service.js';
import { chooseMasking } from '../policy/masking-rules.js';
import type { Decision } from '../policy/types.js';
import { factsFromCheckRequest, type CheckFacts } from './access-request.js';
import { allowResponse, denyResponse, RESIDENCY_HEADER_PREFIX } from './check-response.js';
import { denyBody, passHeaders, residencyMetadata } from './answer-content.js';
import { auditedDecision, passes, type CheckOutcome } from './outcome.js';

export type { CheckOutcome } from './outcome.js';

/** The config a request is decided with and the verifier built from it (one snapshot per request). */
export interface DecisionSettings {
  readonly config: Config;
  readonly verifier: TokenVerifier;
}

export interface CheckDependencies {
  /** Read once per Check, so a reload never gives one request half of a policy. */
  readonly settings: () => DecisionSettings;
  readonly audit: AuditWriter;
  readonly logger: Logger;
  /** Metrics: each decision and its latency in ms (src/metrics). */
  readonly observe?: (outcome: CheckOutcome, ms: number) => void;
  /** Tickets and grants (config `approvals`); without it an `approval` rule is a plain 403 APPROVAL_REQUIRED. */
  readonly approvals?: ApprovalService;
}


export function createCheckHandlers(deps: CheckDependencies): AuthorizationHandlers {
  return {
    Check(call: ServerUnaryCall<CheckRequest__Output, CheckResponse>, callback: sendUnaryData<CheckResponse>) {
      check(deps, call.request).then(
        (response) => callback(null, response),
        // Only reached when even the deny could not be built; a gRPC error makes Envoy fail closed.
        (err: unknown) => {
          deps.logger.error({ err }, 'could not build a Check answer; failing the call');
          callback({ code: 13, details: 'residency-gate internal error' }, null);
        },
      );
    },
  };
}

export async function check(deps: CheckDependencies, request: CheckRequest__Output): Promise<CheckResponse> {
  const started = performance.now();
  let outcome = await evaluate(deps, request);
  try {
    await deps.audit.append(auditEntry(outcome));
  } catch (err) {
    deps.logger.error({ err, request_id: outcome.facts.requestId }, 'audit write failed; denying');
    outcome = { ...outcome, code: 'AUDIT_UNAVAILABLE' };
  }
  const ms = performance.now() - started;
  logDecision(deps.logger, outcome, ms);
  deps.observe?.(outcome, ms);
  return answer(outcome);
}

async function evaluate(deps: CheckDependencies, request: CheckRequest__Output): Promise<CheckOutcome> {
  let facts: CheckFacts = { requestId: '', method: '', headers: {}, hints: { authority: '', path: '' } };
  let identity: VerifiedIdentity | undefined;
  let target: ResolvedTarget | undefined;
  try {
    facts = factsFromCheckRequest(request);
    const { config, verifier } = deps.settings();
    const { policy } = config;
    identity = await resolveIdentity(config, verifier, facts);
    target = resolveTarget(policy, facts.hints);
    const decision = decide(policy, identity.region, target);
    if (decision.outcome === 'approval' && deps.approvals !== undefined) return await held(deps.approvals, config, facts, identity, decision);
    return { facts, identity, target, decision, code: decision.code };
  } catch (err) {
    if (err instanceof ResidencyError) {
      deps.logger.debug({ request_id: facts.requestId, code: err.code, detail: err.message }, 'check stopped');
      return { facts, identity, target, code: err.code };
    }
    deps.logger.error({ err, request_id: facts.requestId }, 'check failed unexpectedly; denying');
    return { facts, identity, target, code: 'INTERNAL' };
  }
}

/** An approval rule holds the request: a live grant lets it pass (`approved`), else it gets its ticket. */
async function held(approvals: ApprovalService, config: Config, facts: CheckFacts, identity: VerifiedIdentity, decision: Decision): Promise<CheckOutcome> {
  const { target } = decision;
  const admission = await approvals.admit({
    requester: { issuer: identity.issuer, subject: identity.subject },
    originRegion: identity.region,
    target: target.name,
    targetRegion: target.region,
    rule: decision.rule,
    method: facts.method,
    path: facts.hints.path,
    requestId: facts.requestId,
    reason: facts.headers[approvals.justificationHeader],
  });
  if (admission.granted) {
    // Approved data crosses like any allowed request: policy.masking still applies to its bodies.
    const masking = chooseMasking(config.policy.masking, identity.region, target);
    return { facts, identity, target, decision: { ...decision, masking }, approval: { ticket: admission.ticket, granted: true } };
  }
  return {
    facts, identity, target, decision, code: decision.code,
    approval: { ticket: admission.ticket.id, granted: false, state: admission.ticket.state, reviewUrl: admission.reviewUrl },
  };
}

function answer(outcome: CheckOutcome): CheckResponse {
  const metadata = residencyMetadata(outcome);
  if (passes(outcome)) {
    return allowResponse({
      headers: passHeaders(outcome),
      clientResidencyHeaders: Object.keys(outcome.facts.headers).filter((h) => h.startsWith(RESIDENCY_HEADER_PREFIX)),
      metadata,
    });
  }
  const code = outcome.code ?? 'INTERNAL';
  return denyResponse({ code, body: denyBody(outcome, code), metadata });
}

function auditEntry(outcome: CheckOutcome) {
  const { facts, identity, target, decision } = outcome;
  return {
    kind: 'decision' as const,
    request_id: facts.requestId,
    subject: identity?.subject ?? null,
    issuer: identity?.issuer ?? null,
    identity_source: identity?.source ?? null,
    origin_region: identity?.region ?? null,
    target: target?.name ?? null,
    target_region: target?.region ?? null,
    decision: auditedDecision(outcome),
    rule: decision?.rule ?? null,
    code: outcome.code ?? null,
    method: facts.method,
    authority: facts.hints.authority,
    path: facts.hints.path,
    ...(outcome.approval !== undefined ? { ticket: outcome.approval.ticket } : {}),
  };
}

/** One line per decision, with the fields requestLogger() would bind, without building a child logger per Check. */
function logDecision(logger: Logger, outcome: CheckOutcome, ms: number): void {
  logger.info(
    {
      request_id: outcome.facts.requestId,
      decision: auditedDecision(outcome),
      code: outcome.code,
      rule: outcome.decision?.rule,
      origin_region: outcome.identity?.region,
      target: outcome.target?.name,
      target_region: outcome.target?.region,
      subject: outcome.identity?.subject,
      issuer: outcome.identity?.issuer,
      ms: Math.round(ms * 100) / 100,
    },
    'residency decision',
  );
}
