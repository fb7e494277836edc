// The one catalog of stable error codes. Each code maps to its HTTP status (what the client of
// Envoy sees) and its gRPC status (what Envoy sees from us) here and nowhere else. The messages are
// safe to show a client: they never carry internal detail.

export const GRPC_OK = 0;
const GRPC_PERMISSION_DENIED = 7;
const GRPC_UNAUTHENTICATED = 16;
const GRPC_UNAVAILABLE = 14;
const GRPC_INTERNAL = 13;
const GRPC_INVALID_ARGUMENT = 3;
const GRPC_FAILED_PRECONDITION = 9;

interface CatalogEntry {
  readonly http: 400 | 401 | 403 | 415 | 500 | 502 | 503;
  readonly grpc: number;
  readonly message: string;
}

const token = (message: string): CatalogEntry => ({ http: 401, grpc: GRPC_UNAUTHENTICATED, message });
const forbidden = (message: string): CatalogEntry => ({ http: 403, grpc: GRPC_PERMISSION_DENIED, message });

export const ERROR_CATALOG = {
  TOKEN_MISSING: token('No bearer token was presented.'),
  TOKEN_MALFORMED: token('The bearer token is not a well-formed JWT.'),
  TOKEN_TOO_LARGE: token('The bearer token exceeds the size limit.'),
  TOKEN_ALGORITHM_NOT_ALLOWED: token('The token is signed with an algorithm that is not allowed.'),
  TOKEN_SIGNATURE_INVALID: token('The token signature does not verify.'),
  TOKEN_KEY_UNKNOWN: token('The token names a signing key that the issuer does not publish.'),
  TOKEN_EXPIRED: token('The token has expired.'),
  TOKEN_NOT_YET_VALID: token('The token is not valid yet.'),
  TOKEN_ISSUER_UNKNOWN: token('The token issuer is not trusted.'),
  TOKEN_AUDIENCE_INVALID: token('The token is not meant for this audience.'),
  TOKEN_CLAIM_INVALID: token('A token claim is missing or invalid.'),
  TOKEN_REGION_MISSING: token('The token carries no origin region.'),
  TOKEN_REGION_UNKNOWN: token('The token names a region that the policy does not know.'),
  SPIFFE_ID_INVALID: forbidden('The client certificate names a SPIFFE ID that is not well formed.'),
  SPIFFE_ID_UNMAPPED: forbidden('The client certificate SPIFFE ID is not mapped to a region.'),
  IDENTITY_CONFLICT: forbidden('The credentials presented name different origin regions.'),
  TARGET_UNKNOWN: forbidden('The target of this request is not known to the residency policy.'),
  RESIDENCY_CROSS_REGION: forbidden('The request would send data outside its approved region.'),
  RESIDENCY_RULE_DENIED: forbidden('A residency rule forbids sending this data to this target.'),
  APPROVAL_REQUIRED: forbidden('The request needs an approval before its data may go to this target.'),
  REROUTE_UNAVAILABLE: forbidden('The request must go to an endpoint in its own region, and this target has none there.'),
  DECISION_MISSING: { http: 403, grpc: GRPC_FAILED_PRECONDITION, message: 'No residency decision reached the body processor; the request is refused.' },
  REQUEST_BODY_NOT_INSPECTABLE: { http: 415, grpc: GRPC_INVALID_ARGUMENT, message: 'The request body must be masked but its type or encoding cannot be inspected.' },
  REQUEST_BODY_INVALID: { http: 400, grpc: GRPC_INVALID_ARGUMENT, message: 'The request body must be masked but is not valid for its content type.' },
  RESPONSE_BODY_NOT_INSPECTABLE: { http: 502, grpc: GRPC_FAILED_PRECONDITION, message: 'The response body must be masked but its type or encoding cannot be inspected.' },
  RESPONSE_BODY_INVALID: { http: 502, grpc: GRPC_FAILED_PRECONDITION, message: 'The response body must be masked but is not valid for its content type.' },
  RESIDENCY_PATH_VIOLATION: { http: 502, grpc: GRPC_FAILED_PRECONDITION, message: 'The response came from a host outside the region the request was allowed to reach; it is withheld.' },
  MASKING_PROFILE_UNKNOWN: { http: 500, grpc: GRPC_INTERNAL, message: 'The residency decision names a masking profile that is not configured.' },
  JWKS_UNAVAILABLE: { http: 503, grpc: GRPC_UNAVAILABLE, message: 'The token issuer keys cannot be fetched right now.' },
  AUDIT_UNAVAILABLE: { http: 503, grpc: GRPC_UNAVAILABLE, message: 'The audit trail cannot be written; the request is refused.' },
  APPROVALS_UNAVAILABLE: { http: 503, grpc: GRPC_UNAVAILABLE, message: 'The request needs an approval, and approvals cannot be checked right now; it is refused.' },
  INTERNAL: { http: 500, grpc: GRPC_INTERNAL, message: 'The residency decision could not be made.' },
} as const satisfies Record<string, CatalogEntry>;

export type ErrorCode = keyof typeof ERROR_CATALOG;

export function isErrorCode(value: string): value is ErrorCode {
  return Object.hasOwn(ERROR_CATALOG, value);
}

/** Base of every failure that maps to a catalog code; `detail` is for logs, never for clients. */
export class ResidencyError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, detail?: string, options?: { cause?: unknown }) {
    super(detail ?? ERROR_CATALOG[code].message, options);
    this.code = code;
    this.name = 'ResidencyError';
  }
}
