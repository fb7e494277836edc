// Builds ext_proc ProcessingResponses. The only way this server answers Envoy's body processor, so
// that every answer has the type of the message it answers and every block is a real 4xx/5xx
// (Envoy passes an ImmediateResponse with status 100 on as a 200: DESIGN.md §5).
import type { ProcessingResponse } from '../envoy/generated/envoy/service/ext_proc/v3/ProcessingResponse.js';
import type { HeaderMutation } from '../envoy/generated/envoy/service/ext_proc/v3/HeaderMutation.js';
import type { CommonResponse } from '../envoy/generated/envoy/service/ext_proc/v3/CommonResponse.js';
import { ERROR_CATALOG, type ErrorCode } from '../errors/catalog.js';
import { toStruct, type JsonObject } from '../envoy/struct.js';

export type HeadersPhase = 'request_headers' | 'response_headers';
export type BodyPhase = 'request_body' | 'response_body';
export type TrailersPhase = 'request_trailers' | 'response_trailers';

export interface HeaderChanges {
  readonly set?: Readonly<Record<string, string>>;
  readonly remove?: readonly string[];
}

function mutation(changes: HeaderChanges): HeaderMutation | null {
  const set = Object.entries(changes.set ?? {});
  const remove = changes.remove ?? [];
  if (set.length === 0 && remove.length === 0) return null;
  return {
    // Envoy 1.40 takes header values in raw_value.
    set_headers: set.map(([key, value]) => ({ header: { key, raw_value: Buffer.from(value, 'utf8') }, append_action: 'OVERWRITE_IF_EXISTS_OR_ADD' })),
    remove_headers: [...remove],
  };
}

/** Where ext_proc's own dynamic metadata goes; envoy.yaml lists it in receiving_namespaces. */
export const EXTPROC_METADATA_NAMESPACE = 'envoy.filters.http.ext_proc';

/** `metadata`: dynamic metadata, keyed by namespace (Envoy accepts only the receiving_namespaces). */
export function headersAnswer(phase: HeadersPhase, changes: HeaderChanges = {}, metadata?: JsonObject): ProcessingResponse {
  const common: CommonResponse = { status: 'CONTINUE', header_mutation: mutation(changes) };
  return { [phase]: { response: common }, ...(metadata ? { dynamic_metadata: toStruct(metadata) } : {}) };
}

/** `body` undefined: the chunk goes on unchanged. An empty Buffer holds the chunk back entirely. */
export function bodyAnswer(phase: BodyPhase, body: Buffer | undefined, changes: HeaderChanges = {}): ProcessingResponse {
  const common: CommonResponse = { status: 'CONTINUE', header_mutation: mutation(changes) };
  if (body !== undefined) common.body_mutation = body.length === 0 ? { clear_body: true } : { body };
  return { [phase]: { response: common } };
}

export function trailersAnswer(phase: TrailersPhase): ProcessingResponse {
  return { [phase]: {} };
}

/** Ends the HTTP exchange with our JSON error; Envoy sends it to the client instead of the data. */
export function blockAnswer(code: ErrorCode, requestId: string): ProcessingResponse {
  const { http, message } = ERROR_CATALOG[code];
  if (http < 400 || http > 599) throw new Error(`refusing to block with HTTP ${http}: a block must be 4xx or 5xx`);
  return {
    immediate_response: {
      status: { code: http },
      headers: mutation({ set: { 'content-type': 'application/json', 'cache-control': 'no-store' } }),
      body: Buffer.from(JSON.stringify({ code, message, request_id: requestId })),
      details: code,
    },
  };
}
