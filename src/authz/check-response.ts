// Builds Envoy's CheckResponse. These two functions are the only way an answer is made, so that an
// answer without a status (which Envoy treats as allow, see DESIGN.md §5) cannot be expressed.
import { ERROR_CATALOG, GRPC_OK, type ErrorCode } from '../errors/catalog.js';
import type { CheckResponse } from '../envoy/generated/envoy/service/auth/v3/CheckResponse.js';
import type { HeaderValueOption } from '../envoy/generated/envoy/config/core/v3/HeaderValueOption.js';
import { toStruct, type JsonObject } from '../envoy/struct.js';

/** The ext_authz filter's own namespace: Envoy files our dynamic metadata under it. */
export const METADATA_NAMESPACE = 'envoy.filters.http.ext_authz';
export const METADATA_KEY = 'residency';
export const RESIDENCY_HEADER_PREFIX = 'x-residency-';

export interface AllowAnswer {
  /** Headers the upstream receives; every name must start with x-residency-. */
  readonly headers: Readonly<Record<string, string>>;
  /** Names of x-residency-* headers the client sent: removed so they cannot be spoofed. */
  readonly clientResidencyHeaders: readonly string[];
  readonly metadata: JsonObject;
}

export interface DenyAnswer {
  readonly code: ErrorCode;
  readonly body: JsonObject;
  readonly metadata: JsonObject;
}

const overwrite = (key: string, value: string): HeaderValueOption => ({
  header: { key, value },
  append_action: 'OVERWRITE_IF_EXISTS_OR_ADD',
});

export function allowResponse(answer: AllowAnswer): CheckResponse {
  const set = Object.keys(answer.headers);
  for (const name of set) {
    if (!name.startsWith(RESIDENCY_HEADER_PREFIX)) throw new Error(`refusing to set non-residency header ${name}`);
  }
  return {
    status: { code: GRPC_OK, message: '' },
    ok_response: {
      headers: Object.entries(answer.headers).map(([k, v]) => overwrite(k, v)),
      // Envoy may apply removals after additions; never remove a name we set (it is overwritten anyway).
      headers_to_remove: answer.clientResidencyHeaders.filter((h) => !set.includes(h)),
    },
    dynamic_metadata: toStruct({ [METADATA_KEY]: answer.metadata }),
  };
}

export function denyResponse(answer: DenyAnswer): CheckResponse {
  const entry = ERROR_CATALOG[answer.code];
  if (entry.grpc === GRPC_OK) throw new Error(`catalog code ${answer.code} maps to gRPC OK; a deny must not`);
  const headers = [overwrite('content-type', 'application/json'), overwrite('cache-control', 'no-store')];
  if (entry.http === 401) headers.push(overwrite('www-authenticate', 'Bearer error="invalid_token"'));
  return {
    status: { code: entry.grpc, message: answer.code },
    denied_response: {
      status: { code: entry.http },
      headers,
      body: JSON.stringify(answer.body),
    },
    dynamic_metadata: toStruct({ [METADATA_KEY]: answer.metadata }),
  };
}
