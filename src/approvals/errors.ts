// Errors of the reviewer interfaces (HTTP admin API, gRPC twin, CLI): a stable code, its HTTP and
// gRPC status, and a message safe to show the reviewer.

const GRPC = { INVALID_ARGUMENT: 3, NOT_FOUND: 5, PERMISSION_DENIED: 7, FAILED_PRECONDITION: 9, INTERNAL: 13, UNAVAILABLE: 14, UNAUTHENTICATED: 16 } as const;

export const APPROVAL_ERRORS = {
  REVIEWER_UNAUTHENTICATED: { http: 401, grpc: GRPC.UNAUTHENTICATED, message: 'A reviewer token is required, and it must verify.' },
  REVIEWER_ROLE_MISSING: { http: 403, grpc: GRPC.PERMISSION_DENIED, message: 'The token does not carry a reviewer role.' },
  SELF_APPROVAL_FORBIDDEN: { http: 403, grpc: GRPC.PERMISSION_DENIED, message: 'A reviewer cannot decide their own ticket (four eyes).' },
  TICKET_NOT_FOUND: { http: 404, grpc: GRPC.NOT_FOUND, message: 'No such ticket.' },
  TICKET_NOT_PENDING: { http: 409, grpc: GRPC.FAILED_PRECONDITION, message: 'The ticket is not pending: it was decided already or has expired.' },
  GRANT_NOT_ACTIVE: { http: 409, grpc: GRPC.FAILED_PRECONDITION, message: 'The ticket has no active grant to revoke.' },
  COMMENT_REQUIRED: { http: 400, grpc: GRPC.INVALID_ARGUMENT, message: 'Every decision needs a comment.' },
  INVALID_REQUEST: { http: 400, grpc: GRPC.INVALID_ARGUMENT, message: 'The request is not valid.' },
  APPROVALS_UNAVAILABLE: { http: 503, grpc: GRPC.UNAVAILABLE, message: 'The approvals store cannot be reached.' },
  AUDIT_UNAVAILABLE: { http: 503, grpc: GRPC.UNAVAILABLE, message: 'The audit trail cannot be written; nothing was changed.' },
} as const;

export type ApprovalErrorCode = keyof typeof APPROVAL_ERRORS;

export class ApprovalError extends Error {
  readonly code: ApprovalErrorCode;
  readonly http: number;
  readonly grpc: number;
  constructor(code: ApprovalErrorCode, detail?: string, options?: { cause?: unknown }) {
    super(detail ?? APPROVAL_ERRORS[code].message, options);
    this.name = 'ApprovalError';
    this.code = code;
    this.http = APPROVAL_ERRORS[code].http;
    this.grpc = APPROVAL_ERRORS[code].grpc;
  }
}
