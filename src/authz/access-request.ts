// Turns Envoy's CheckRequest into the plain facts the pipeline decides on. Envoy's types stop here.
import type { CheckRequest__Output } from '../envoy/generated/envoy/service/auth/v3/CheckRequest.js';
import { fromStruct, type JsonObject } from '../envoy/struct.js';
import { JWT_AUTHN_NAMESPACE } from '../identity/jwt-authn.js';
import type { TargetHints } from '../policy/types.js';

export const CONTEXT_TARGET = 'residency.target';
export const CONTEXT_REGION = 'residency.region';

export interface CheckFacts {
  readonly requestId: string;
  readonly method: string;
  /** Lower-case names; repeated headers joined with "," as Envoy does. */
  readonly headers: Readonly<Record<string, string>>;
  readonly hints: TargetHints;
  /** attributes.source.principal: under mTLS, the client certificate's URI SAN (a SPIFFE ID in a mesh). */
  readonly peerPrincipal?: string;
  /** The jwt_authn namespace of the dynamic metadata, present when ext_authz forwards it (metadata_context_namespaces). */
  readonly jwtAuthn?: JsonObject;
}

export function factsFromCheckRequest(req: CheckRequest__Output): CheckFacts {
  const attributes = req.attributes;
  const http = attributes?.request?.http;
  const headers = headersOf(http);
  const context = attributes?.context_extensions ?? {};
  const path = http?.path ?? '';
  const principal = attributes?.source?.principal;
  const jwtAuthn = attributes?.metadata_context?.filter_metadata?.[JWT_AUTHN_NAMESPACE];
  return {
    // Envoy's x-request-id is what its access log, the upstream and ext_proc see; attributes' `id`
    // is only a stream number, used where no x-request-id exists.
    requestId: headers['x-request-id'] || http?.id || '',
    method: http?.method ?? '',
    headers,
    hints: {
      routeTarget: context[CONTEXT_TARGET],
      routeRegion: context[CONTEXT_REGION],
      authority: http?.host || headers[':authority'] || '',
      // The query string never decides a target; strip it so prefixes match the path alone.
      path: path.split('?', 1)[0] ?? '',
    },
    ...(principal ? { peerPrincipal: principal } : {}),
    ...(jwtAuthn ? { jwtAuthn: fromStruct(jwtAuthn) } : {}),
  };
}

type HttpRequest = NonNullable<NonNullable<CheckRequest__Output['attributes']>['request']>['http'];

function headersOf(http: HttpRequest | undefined): Record<string, string> {
  const out: Record<string, string> = Object.create(null);
  if (!http) return out;
  // With `encode_raw_headers: true` Envoy sends header_map (bytes) instead of the string map.
  const raw = http.header_map?.headers ?? [];
  if (raw.length > 0) {
    for (const h of raw) {
      const key = h.key.toLowerCase();
      const value = h.raw_value.length > 0 ? h.raw_value.toString('utf8') : h.value;
      out[key] = key in out ? `${out[key]},${value}` : value;
    }
    return out;
  }
  for (const [key, value] of Object.entries(http.headers)) out[key.toLowerCase()] = value;
  return out;
}
