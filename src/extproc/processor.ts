// The per-stream state machine: one handler per phase. Every message Envoy sends gets exactly one
// answer of its own type; a message out of order is a ProtocolError, which ends the stream with a
// gRPC error so Envoy fails closed.
import type { ProcessingRequest__Output } from '../envoy/generated/envoy/service/ext_proc/v3/ProcessingRequest.js';
import type { ProcessingResponse } from '../envoy/generated/envoy/service/ext_proc/v3/ProcessingResponse.js';
import type { HttpHeaders__Output } from '../envoy/generated/envoy/service/ext_proc/v3/HttpHeaders.js';
import type { HttpBody__Output } from '../envoy/generated/envoy/service/ext_proc/v3/HttpBody.js';
import type { ErrorCode } from '../errors/catalog.js';
import type { MaskingProfile } from '../masking/types.js';
import { blockAnswer, bodyAnswer, EXTPROC_METADATA_NAMESPACE, headersAnswer, trailersAnswer, type BodyPhase } from './answers.js';
import { decisionFromMetadata, type DecisionContext } from './decision-context.js';
import { DirectionState, type Direction } from './direction.js';
import type { PayloadOutcome, PayloadReport } from './payload-report.js';
import { upstreamHost, type UpstreamHost } from './upstream.js';
import { networkMap, type NetworkMap } from '../policy/networks.js';

const NO_NETWORKS = networkMap([]);

export class ProtocolError extends Error {
  override readonly name = 'ProtocolError';
}

export interface ProcessorDependencies {
  readonly profiles: ReadonlyMap<string, MaskingProfile>;
  /** Called once per stream with what passed; resolves once it is durable (or rejects). */
  readonly report: (report: PayloadReport) => Promise<void>;
  /** Maps upstream addresses to regions where Envoy reports no locality; none: locality only. */
  readonly networks?: NetworkMap;
}

export class StreamProcessor {
  private context: DecisionContext | undefined;
  private readonly directions: Partial<Record<Direction, DirectionState>> = {};
  private reported = false;
  private blockedWith: ErrorCode | undefined;
  private upstream: UpstreamHost | null = null;

  constructor(private readonly deps: ProcessorDependencies) {}

  get finished(): boolean {
    return this.reported;
  }

  async handle(message: ProcessingRequest__Output): Promise<ProcessingResponse> {
    if (this.blockedWith !== undefined) throw new ProtocolError(`message ${message.request} after the exchange was blocked`);
    switch (message.request) {
      case 'request_headers':
        return this.onHeaders('request', message.request_headers, message);
      case 'response_headers':
        return this.onHeaders('response', message.response_headers, message);
      case 'request_body':
        return this.onBody('request', message.request_body);
      case 'response_body':
        return this.onBody('response', message.response_body);
      case 'request_trailers':
      case 'response_trailers':
        return this.onTrailers(message.request === 'request_trailers' ? 'request' : 'response');
      default:
        throw new ProtocolError(`unexpected message ${String(message.request)}`);
    }
  }

  /**
   * The stream ended (Envoy half-closed it, or it broke). Records the exchange if no message did:
   * complete when every direction we saw reached its end, aborted otherwise (client gone, reset).
   */
  async close(): Promise<void> {
    if (this.reported) return;
    const seen = Object.values(this.directions);
    const complete = seen.length > 0 && seen.every((d) => d.ended);
    await this.finish(complete ? 'complete' : 'aborted', null).catch(() => undefined);
  }

  private async onHeaders(direction: Direction, headers: HttpHeaders__Output | null | undefined, message: ProcessingRequest__Output): Promise<ProcessingResponse> {
    if (this.directions[direction]) throw new ProtocolError(`second ${direction}_headers message`);
    let localReply = false;
    if (direction === 'request') {
      this.context = decisionFromMetadata(message.metadata_context);
      if (!this.context?.passes) return this.block('DECISION_MISSING');
    } else if (!this.directions.request) {
      // A response with no request before it is a reply Envoy made itself (ext_authz's deny,
      // jwt_authn's 401, …): with request_header_mode SEND every request that goes on reaches us
      // first, so it carries no upstream data. It is hashed and passes unmasked, keeping its status.
      // Only a decision that let the request pass (request headers skipped: a misconfiguration
      // lint-envoy reports) is treated as a real response.
      this.context = decisionFromMetadata(message.metadata_context);
      localReply = !this.context?.passes;
    }
    const context = this.context;
    const profileName = localReply || !context ? null : direction === 'request' ? context.maskRequest : context.maskResponse;
    const profile = profileName === null ? null : this.deps.profiles.get(profileName);
    if (profile === undefined) return this.block('MASKING_PROFILE_UNKNOWN');

    if (direction === 'response' && !localReply) {
      // ext_authz decided before Envoy picked a host; failover may still have crossed a border.
      this.upstream = upstreamHost(message.attributes, this.deps.networks ?? NO_NETWORKS);
      const answered = this.upstream?.region;
      if (answered && context?.allowedRegion && answered !== context.allowedRegion) return this.block('RESIDENCY_PATH_VIOLATION', 'violation');
    }
    const endOfStream = headers?.end_of_stream ?? false;
    const state = DirectionState.open(direction, headerMap(headers), profile, endOfStream);
    if (typeof state === 'string') return this.block(state);
    this.directions[direction] = state;

    const changes = state.headerChanges();
    // Tells Envoy's RBAC filter (envoy/envoy.yaml) that this request's body is being masked, so an
    // allow-masked decision on a route where ext_proc does not run is refused there.
    const metadata = direction === 'request' ? { [EXTPROC_METADATA_NAMESPACE]: { residency: { request_masking: profile?.name ?? null } } } : undefined;
    // Masking a response needs it uncompressed, or at least in an encoding we can read.
    const remove = direction === 'request' && context?.maskResponse != null ? [...(changes.remove ?? []), 'accept-encoding'] : changes.remove;
    if (direction === 'response' && endOfStream) await this.completeOrBlock();
    if (this.blockedWith) return blockAnswer(this.blockedWith, context?.requestId ?? '');
    return headersAnswer(`${direction}_headers`, { ...changes, remove }, metadata);
  }

  private async onBody(direction: Direction, body: HttpBody__Output | null | undefined): Promise<ProcessingResponse> {
    const state = this.directions[direction];
    if (!state) throw new ProtocolError(`${direction}_body before ${direction}_headers`);
    if (state.ended) throw new ProtocolError(`${direction}_body after the end of the ${direction}`);
    const phase: BodyPhase = `${direction}_body`;
    const end = body?.end_of_stream ?? false;
    const first = state.bodyMessages++ === 0;
    let out: Buffer;
    try {
      out = await state.pipeline.push(body?.body ?? Buffer.alloc(0), end);
    } catch {
      return this.block(state.invalidBodyCode);
    }
    state.ended = end;
    if (direction === 'response' && end) {
      await this.completeOrBlock();
      if (this.blockedWith) return blockAnswer(this.blockedWith, this.context?.requestId ?? '');
    }
    if (!state.pipeline.mutates) return bodyAnswer(phase, undefined);
    // A whole body in one message is BUFFERED mode, where Envoy holds the headers until this answer
    // and rejects a changed body whose content-length is stale. In STREAMED mode it is ignored.
    const changes = first && end ? { set: { 'content-length': String(out.length) } } : {};
    return bodyAnswer(phase, out, changes);
  }

  private async onTrailers(direction: Direction): Promise<ProcessingResponse> {
    const state = this.directions[direction];
    if (!state) throw new ProtocolError(`${direction}_trailers before ${direction}_headers`);
    if (!state.ended) {
      // Trailers end the body; what the masker still holds can no longer be delivered.
      let rest: Buffer;
      try {
        rest = await state.pipeline.push(Buffer.alloc(0), true);
      } catch {
        return this.block(state.invalidBodyCode);
      }
      state.ended = true;
      if (rest.length > 0) return this.block(state.invalidBodyCode);
    }
    if (direction === 'response') {
      await this.completeOrBlock();
      if (this.blockedWith) return blockAnswer(this.blockedWith, this.context?.requestId ?? '');
    }
    return trailersAnswer(`${direction}_trailers`);
  }

  private async completeOrBlock(): Promise<void> {
    try {
      await this.finish('complete', null);
    } catch {
      this.blockedWith = 'AUDIT_UNAVAILABLE';
    }
  }

  private async block(code: ErrorCode, outcome: 'blocked' | 'violation' = 'blocked'): Promise<ProcessingResponse> {
    this.blockedWith = code;
    await this.finish(outcome, code).catch(() => undefined);
    return blockAnswer(code, this.context?.requestId ?? '');
  }

  private finish(outcome: PayloadOutcome, code: ErrorCode | null): Promise<void> {
    if (this.reported) return Promise.resolve();
    this.reported = true;
    const { request, response } = this.directions;
    return this.deps.report({
      context: this.context,
      outcome,
      code,
      request: request ? { summary: request.pipeline.summary(), masked: request.pipeline.counts, profile: request.profile?.name ?? null } : null,
      response: response ? { summary: response.pipeline.summary(), masked: response.pipeline.counts, profile: response.profile?.name ?? null } : null,
      upstream: this.upstream,
    });
  }
}

function headerMap(headers: HttpHeaders__Output | null | undefined): Record<string, string> {
  const out: Record<string, string> = Object.create(null);
  for (const h of headers?.headers?.headers ?? []) {
    const key = h.key.toLowerCase();
    const value = h.raw_value.length > 0 ? h.raw_value.toString('utf8') : h.value;
    out[key] = key in out ? `${out[key]},${value}` : value;
  }
  return out;
}
