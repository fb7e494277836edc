// Pure ticket logic: ids and keys, the state a ticket is really in at a given time, and the
// changes a reviewer or the clock makes. Stores only keep what these functions produce.
import { createHash, randomBytes } from 'node:crypto';
import type { GrantRecord, Principal, StoredTicket, Ticket, TicketState } from './types.js';

export const TICKET_ID_PATTERN = /^apr_[A-Za-z0-9_-]{16}$/;

export function newTicketId(): string {
  return `apr_${randomBytes(12).toString('base64url')}`;
}

/** One requester (issuer, subject) from one origin region to one target: what a ticket and its grant are for. */
export function grantKey(requester: Principal, originRegion: string, target: string): string {
  return createHash('sha256').update(JSON.stringify([requester.issuer, requester.subject, originRegion, target])).digest('hex').slice(0, 40);
}

export interface TicketRequest {
  readonly requester: Principal;
  readonly originRegion: string;
  readonly target: string;
  readonly targetRegion: string;
  readonly rule: string;
  readonly method: string;
  readonly path: string;
  readonly requestId: string;
  readonly reason: string | null;
}

const iso = (ms: number): string => new Date(ms).toISOString();

export function draftTicket(req: TicketRequest, nowMs: number, pendingTtlMs: number): Ticket {
  return {
    id: newTicketId(),
    version: 1,
    state: 'pending',
    key: grantKey(req.requester, req.originRegion, req.target),
    requester: req.requester,
    origin_region: req.originRegion,
    target: req.target,
    target_region: req.targetRegion,
    rule: req.rule,
    method: req.method,
    path: req.path,
    request_id: req.requestId,
    reason: req.reason,
    created_at: iso(nowMs),
    pending_until: iso(nowMs + pendingTtlMs),
    updated_at: iso(nowMs),
    decided_at: null,
    reviewer: null,
    comment: null,
    grant: null,
    revoked_at: null,
    revoked_by: null,
    revoke_comment: null,
  };
}

/** Whether a grant still lets requests through at `nowMs`. */
export function grantLive(grant: GrantRecord | undefined, nowMs: number): grant is GrantRecord {
  return grant !== undefined && grant.expires_at_ms > nowMs && grant.uses_left !== 0;
}

/** The state as of `nowMs`: a pending ticket past its deadline, or an approval whose grant ended, is expired even before the sweeper records it. */
export function effectiveState(stored: StoredTicket, nowMs: number): TicketState {
  const { ticket, grant } = stored;
  if (ticket.state === 'pending' && Date.parse(ticket.pending_until) <= nowMs) return 'expired';
  if (ticket.state === 'approved' && !(grantLive(grant, nowMs) && grant.ticket === ticket.id)) return 'expired';
  return ticket.state;
}

/** What reviewers, the CLI, the webhook and the 403 body see. */
export interface TicketView extends Omit<Ticket, 'version' | 'key' | 'grant'> {
  readonly grant: (Ticket['grant'] & { readonly remaining_uses: number | null }) | null;
}

export function ticketView(stored: StoredTicket, nowMs: number): TicketView {
  const rest: { -readonly [K in keyof Ticket]?: Ticket[K] } = { ...stored.ticket };
  delete rest.version;
  delete rest.key;
  const { grant } = stored.ticket;
  const live = stored.grant !== undefined && stored.grant.ticket === stored.ticket.id ? stored.grant : undefined;
  return {
    ...(rest as Omit<Ticket, 'version' | 'key' | 'grant'>),
    state: effectiveState(stored, nowMs),
    grant: grant === null ? null : { ...grant, remaining_uses: live === undefined ? (grant.uses === null ? null : 0) : live.uses_left < 0 ? null : live.uses_left },
  };
}

export function sameSubject(a: Principal, b: Principal): boolean {
  // Four eyes across issuers too: the same subject name at the reviewers' issuer is taken to be the same person.
  return a.subject.toLowerCase() === b.subject.toLowerCase();
}

const bump = (t: Ticket, nowMs: number, change: Partial<Ticket>): Ticket => ({ ...t, ...change, version: t.version + 1, updated_at: iso(nowMs) });

export function approved(t: Ticket, reviewer: Principal, comment: string, nowMs: number, lifetimeMs: number, uses: number | null): { ticket: Ticket; grant: GrantRecord } {
  const expiresAt = nowMs + lifetimeMs;
  const ticket = bump(t, nowMs, { state: 'approved', decided_at: iso(nowMs), reviewer, comment, grant: { expires_at: iso(expiresAt), uses } });
  return { ticket, grant: { ticket: t.id, expires_at_ms: expiresAt, uses_left: uses ?? -1 } };
}

export function denied(t: Ticket, reviewer: Principal, comment: string, nowMs: number): Ticket {
  return bump(t, nowMs, { state: 'denied', decided_at: iso(nowMs), reviewer, comment });
}

export function revoked(t: Ticket, by: Principal, comment: string, nowMs: number): Ticket {
  return bump(t, nowMs, { state: 'revoked', revoked_at: iso(nowMs), revoked_by: by, revoke_comment: comment });
}

export function expired(t: Ticket, nowMs: number): Ticket {
  return bump(t, nowMs, { state: 'expired' });
}

/** How long a store keeps a ticket record: while it may still change, then `retentionMs`. */
export function keepUntilMs(t: Ticket, retentionMs: number, nowMs: number): number {
  if (t.state === 'pending') return Date.parse(t.pending_until) + retentionMs;
  if (t.state === 'approved' && t.grant !== null) return Math.max(Date.parse(t.grant.expires_at), nowMs) + retentionMs;
  return nowMs + retentionMs;
}
