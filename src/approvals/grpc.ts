// The gRPC twin of the approvals API: residency_gate.approvals.v1.Approvals (protos/), served on the
// gRPC port. The reviewer's token comes in the `authorization` metadata; errors carry their code
// in the details ("CODE: message"). Without an `approvals` section every call is FAILED_PRECONDITION.
import { loadPackageDefinition, type sendUnaryData, type ServerUnaryCall, type ServiceDefinition, type UntypedServiceImplementation } from '@grpc/grpc-js';
import { envoyPackageDefinition } from '../envoy/protos.js';
import type { Logger } from '../logging/logger.js';
import { APPROVAL_ERRORS, ApprovalError } from './errors.js';
import type { ApprovalService } from './service.js';
import type { TicketView } from './ticket.js';
import type { Principal, TicketState } from './types.js';

export const APPROVALS_SERVICE = 'residency_gate.approvals.v1.Approvals';

export function approvalsServiceDefinition(): ServiceDefinition {
  const pkg = loadPackageDefinition(envoyPackageDefinition()) as unknown as {
    residency_gate: { approvals: { v1: { Approvals: { service: ServiceDefinition } } } };
  };
  return pkg.residency_gate.approvals.v1.Approvals.service;
}

type Req = Record<string, unknown>;

const principal = (p: Principal | null) => (p === null ? null : { issuer: p.issuer, subject: p.subject });

function toProto(t: TicketView) {
  return {
    id: t.id,
    state: t.state,
    requester: principal(t.requester),
    origin_region: t.origin_region,
    target: t.target,
    target_region: t.target_region,
    rule: t.rule,
    method: t.method,
    path: t.path,
    request_id: t.request_id,
    reason: t.reason ?? '',
    created_at: t.created_at,
    pending_until: t.pending_until,
    updated_at: t.updated_at,
    decided_at: t.decided_at ?? '',
    reviewer: principal(t.reviewer),
    comment: t.comment ?? '',
    grant: t.grant === null ? null : { expires_at: t.grant.expires_at, unlimited: t.grant.uses === null, uses: t.grant.uses ?? 0, remaining_uses: t.grant.remaining_uses ?? 0 },
    revoked_at: t.revoked_at ?? '',
    revoked_by: principal(t.revoked_by),
    revoke_comment: t.revoke_comment ?? '',
  };
}

export function createApprovalsGrpcHandlers(approvals: ApprovalService | undefined, logger: Logger): UntypedServiceImplementation {
  const unary = (fn: (service: ApprovalService, req: Req, authorization: string | undefined) => Promise<unknown>) =>
    (call: ServerUnaryCall<Req, unknown>, callback: sendUnaryData<unknown>): void => {
      if (approvals === undefined) {
        callback({ code: 9, details: 'approvals are not configured on this server (config: approvals)' }, null);
        return;
      }
      const auth = call.metadata.get('authorization')[0];
      fn(approvals, call.request, typeof auth === 'string' ? auth : auth?.toString('utf8')).then(
        (response) => callback(null, response),
        (err: unknown) => {
          if (err instanceof ApprovalError) {
            const message = err.http >= 500 ? APPROVAL_ERRORS[err.code].message : err.message;
            callback({ code: err.grpc, details: `${err.code}: ${message}` }, null);
            return;
          }
          logger.error({ err }, 'approvals gRPC call failed');
          callback({ code: 13, details: 'INTERNAL: internal error' }, null);
        },
      );
    };
  const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
  return {
    ListTickets: unary(async (s, req, auth) => {
      await s.authenticate(auth);
      const state = str(req.state) as TicketState | undefined;
      const limit = typeof req.limit === 'number' && req.limit > 0 ? req.limit : undefined;
      const tickets = await s.list({
        ...(state ? { state } : {}),
        ...(str(req.target) ? { target: str(req.target)! } : {}),
        ...(str(req.subject) ? { subject: str(req.subject)! } : {}),
        ...(str(req.origin_region) ? { origin_region: str(req.origin_region)! } : {}),
        ...(limit ? { limit } : {}),
      });
      return { tickets: tickets.map(toProto) };
    }),
    GetTicket: unary(async (s, req, auth) => {
      await s.authenticate(auth);
      return toProto(await s.show(String(req.id ?? '')));
    }),
    ApproveTicket: unary(async (s, req, auth) => {
      const reviewer = await s.authenticate(auth);
      const lifetime = Number(req.lifetime_seconds ?? 0);
      const uses = Number(req.uses ?? 0);
      return toProto(await s.approve(reviewer, String(req.id ?? ''), {
        comment: req.comment,
        ...(lifetime > 0 ? { lifetime_seconds: lifetime } : {}),
        ...(uses > 0 ? { uses } : {}),
      }));
    }),
    DenyTicket: unary(async (s, req, auth) => toProto(await s.deny(await s.authenticate(auth), String(req.id ?? ''), { comment: req.comment }))),
    RevokeTicket: unary(async (s, req, auth) => toProto(await s.revoke(await s.authenticate(auth), String(req.id ?? ''), { comment: req.comment }))),
  };
}
