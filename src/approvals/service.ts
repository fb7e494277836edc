// The approval workflow, on top of a store: what a held request gets (a grant's use, or its
// ticket), what reviewers may do (list, show, approve, deny, revoke), the audit record of every
// ticket event, the webhook, and the sweeper that records pending tickets and grants that ran out.
// Every interface (Check, the HTTP admin API, the gRPC twin, the CLI through HTTP) goes through here.
import type { ApprovalEntry, ApprovalEvent } from '../audit/record.js';
import type { AuditWriter } from '../audit/writer.js';
import { ResidencyError } from '../errors/catalog.js';
import type { Logger } from '../logging/logger.js';
import type { ApprovalsConfig } from './config.js';
import { ApprovalError } from './errors.js';
import type { Reviewer, ReviewerVerifier } from './reviewers.js';
import { approved, denied, draftTicket, effectiveState, expired, grantKey, revoked, sameSubject, TICKET_ID_PATTERN, ticketView, type TicketRequest, type TicketView } from './ticket.js';
import { TICKET_STATES, type ApprovalStore, type GrantChange, type Principal, type StoredTicket, type Ticket, type TicketState } from './types.js';
import type { WebhookEventName, WebhookSender } from './webhook.js';

export type Admission =
  | { readonly granted: true; readonly ticket: string; readonly remaining: number | null }
  | { readonly granted: false; readonly ticket: TicketView; readonly created: boolean; readonly reviewUrl: string | null };

export interface TicketFilter {
  readonly state?: TicketState;
  readonly target?: string;
  readonly subject?: string;
  readonly origin_region?: string;
  readonly limit?: number;
}

export interface ApproveInput {
  readonly comment?: unknown;
  readonly lifetime_seconds?: unknown;
  readonly uses?: unknown;
}

export interface ApprovalServiceOptions {
  readonly config: ApprovalsConfig;
  readonly store: ApprovalStore;
  readonly audit: AuditWriter;
  readonly reviewers: ReviewerVerifier;
  readonly logger: Logger;
  readonly webhook?: WebhookSender;
  readonly now?: () => number;
}

const MAX_REASON = 500;
const MAX_COMMENT = 2000;

export class ApprovalService {
  readonly store: ApprovalStore;
  private readonly config: ApprovalsConfig;
  private readonly audit: AuditWriter;
  private readonly reviewers: ReviewerVerifier;
  private readonly logger: Logger;
  private readonly webhook: WebhookSender | undefined;
  private readonly now: () => number;
  private adminUrl: string | undefined;
  private sweeper: NodeJS.Timeout | undefined;
  private sweeping: Promise<void> | undefined;

  constructor(options: ApprovalServiceOptions) {
    this.config = options.config;
    this.store = options.store;
    this.audit = options.audit;
    this.reviewers = options.reviewers;
    this.logger = options.logger;
    this.webhook = options.webhook;
    this.now = options.now ?? Date.now;
  }

  get justificationHeader(): string {
    return this.config.justification_header;
  }

  /** The admin server's URL, for the default review link in 403 bodies. */
  setAdminUrl(url: string | undefined): void {
    this.adminUrl = url;
  }

  reviewUrl(id: string): string | null {
    if (this.config.review_url !== undefined) return this.config.review_url.replaceAll('{ticket}', id);
    return this.adminUrl === undefined ? null : `${this.adminUrl}/v1/approvals/tickets/${id}`;
  }

  // --- the Check side ----------------------------------------------------------------------------

  /**
   * A request an `approval` rule holds: passes if the requester has a live grant for the target
   * (one use taken), else gets the pending ticket (opened now if there is none). Rejects with
   * APPROVALS_UNAVAILABLE when the store fails, AUDIT_UNAVAILABLE when a new ticket's record cannot be written.
   */
  async admit(request: Omit<TicketRequest, 'reason'> & { readonly reason: string | undefined }): Promise<Admission> {
    const nowMs = this.now();
    const key = grantKey(request.requester, request.originRegion, request.target);
    let opened: { ticket: Ticket; created: boolean };
    try {
      const use = await this.store.consume(key, nowMs);
      if (use !== undefined) return { granted: true, ticket: use.ticket, remaining: use.remaining };
      opened = await this.store.open(draftTicket({ ...request, reason: cleanReason(request.reason) }, nowMs, this.config.pending_ttl_seconds * 1000), nowMs);
    } catch (err) {
      throw new ResidencyError('APPROVALS_UNAVAILABLE', `approvals store (${this.store.kind}): ${(err as Error).message}`, { cause: err });
    }
    const stored: StoredTicket = { ticket: opened.ticket, grant: undefined };
    if (opened.created) {
      try {
        await this.audit.append(auditEntry(opened.ticket, 'requested', opened.ticket.requester, { request_id: opened.ticket.request_id, comment: opened.ticket.reason }));
      } catch (err) {
        throw new ResidencyError('AUDIT_UNAVAILABLE', `ticket ${opened.ticket.id} opened but its record could not be written: ${(err as Error).message}`, { cause: err });
      }
      this.notify('ticket.requested', stored);
      this.logger.info({ ticket: opened.ticket.id, target: request.target, subject: request.requester.subject }, 'approval ticket opened');
    }
    return { granted: false, ticket: ticketView(stored, nowMs), created: opened.created, reviewUrl: this.reviewUrl(opened.ticket.id) };
  }

  // --- the reviewer side -------------------------------------------------------------------------

  /** A bearer token (with or without the "Bearer " prefix) → the reviewer, or REVIEWER_UNAUTHENTICATED / REVIEWER_ROLE_MISSING. */
  async authenticate(authorization: string | undefined): Promise<Reviewer> {
    const token = authorization?.replace(/^Bearer\s+/i, '').trim();
    if (!token) throw new ApprovalError('REVIEWER_UNAUTHENTICATED', 'no reviewer token');
    return this.reviewers.verify(token);
  }

  async list(filter: TicketFilter = {}): Promise<TicketView[]> {
    if (filter.state !== undefined && !TICKET_STATES.includes(filter.state)) throw new ApprovalError('INVALID_REQUEST', `state must be one of ${TICKET_STATES.join(', ')}`);
    const all = await this.storeCall(() => this.store.list());
    const nowMs = this.now();
    const views = all
      .map((s) => ticketView(s, nowMs))
      .filter((v) => (filter.state === undefined || v.state === filter.state)
        && (filter.target === undefined || v.target === filter.target)
        && (filter.subject === undefined || v.requester.subject === filter.subject)
        && (filter.origin_region === undefined || v.origin_region === filter.origin_region));
    return views.slice(0, Math.max(1, Math.min(filter.limit ?? 100, 1000)));
  }

  async show(id: string): Promise<TicketView> {
    return ticketView(await this.load(id), this.now());
  }

  async approve(reviewer: Reviewer, id: string, input: ApproveInput): Promise<TicketView> {
    const comment = requireComment(input.comment);
    const { grant: bounds } = this.config;
    const lifetime = input.lifetime_seconds ?? bounds.default_lifetime_seconds;
    if (typeof lifetime !== 'number' || !Number.isFinite(lifetime) || lifetime < bounds.min_lifetime_seconds || lifetime > bounds.max_lifetime_seconds) {
      throw new ApprovalError('INVALID_REQUEST', `lifetime_seconds must be a number from ${bounds.min_lifetime_seconds} to ${bounds.max_lifetime_seconds}`);
    }
    const uses = input.uses ?? bounds.max_uses ?? null;
    if (uses !== null && (typeof uses !== 'number' || !Number.isInteger(uses) || uses < 1 || (bounds.max_uses !== undefined && uses > bounds.max_uses))) {
      throw new ApprovalError('INVALID_REQUEST', `uses must be a whole number from 1${bounds.max_uses === undefined ? '' : ` to ${bounds.max_uses}`}`);
    }
    return this.decide(reviewer, id, 'approved', (t, nowMs) => {
      const next = approved(t, principal(reviewer), comment, nowMs, lifetime * 1000, uses);
      return { next: next.ticket, grant: { set: next.grant } };
    }, comment);
  }

  async deny(reviewer: Reviewer, id: string, input: { readonly comment?: unknown }): Promise<TicketView> {
    const comment = requireComment(input.comment);
    return this.decide(reviewer, id, 'denied', (t, nowMs) => ({ next: denied(t, principal(reviewer), comment, nowMs), grant: undefined }), comment);
  }

  async revoke(reviewer: Reviewer, id: string, input: { readonly comment?: unknown }): Promise<TicketView> {
    const comment = requireComment(input.comment);
    const stored = await this.load(id);
    const nowMs = this.now();
    if (effectiveState(stored, nowMs) !== 'approved') throw new ApprovalError('GRANT_NOT_ACTIVE', `ticket ${id} is ${effectiveState(stored, nowMs)}`);
    const next = revoked(stored.ticket, principal(reviewer), comment, nowMs);
    return this.commit(stored, next, { clear: true }, 'revoked', principal(reviewer), comment);
  }

  private async decide(reviewer: Reviewer, id: string, event: 'approved' | 'denied', make: (t: Ticket, nowMs: number) => { next: Ticket; grant: GrantChange }, comment: string): Promise<TicketView> {
    const stored = await this.load(id);
    const nowMs = this.now();
    const state = effectiveState(stored, nowMs);
    if (state !== 'pending') throw new ApprovalError('TICKET_NOT_PENDING', `ticket ${id} is ${state}`);
    if (sameSubject(reviewer, stored.ticket.requester)) {
      throw new ApprovalError('SELF_APPROVAL_FORBIDDEN', `${reviewer.subject} asked for ticket ${id} and cannot decide it`);
    }
    const { next, grant } = make(stored.ticket, nowMs);
    return this.commit(stored, next, grant, event, principal(reviewer), comment);
  }

  /** Compare-and-set, then the audit record (undone if it cannot be written), then the webhook. */
  private async commit(before: StoredTicket, next: Ticket, grant: GrantChange, event: ApprovalEvent, actor: Principal, comment: string): Promise<TicketView> {
    const ok = await this.storeCall(() => this.store.update(next, before.ticket.version, grant));
    if (!ok) {
      const now = await this.storeCall(() => this.store.get(next.id));
      throw new ApprovalError('TICKET_NOT_PENDING', `ticket ${next.id} changed meanwhile; it is ${now === undefined ? 'gone' : effectiveState(now, this.now())}`);
    }
    try {
      await this.audit.append(auditEntry(next, event, actor, { comment }));
    } catch (err) {
      // Undo: a decision the audit trail does not show must not take effect.
      const undo: Ticket = { ...before.ticket, version: next.version + 1 };
      const undone = await this.store.update(undo, next.version, grant !== undefined && 'set' in grant ? { clear: true } : undefined).catch(() => false);
      this.logger.error({ err, ticket: next.id, event, undone }, 'approval event could not be audited; decision undone');
      throw new ApprovalError('AUDIT_UNAVAILABLE', undefined, { cause: err });
    }
    const after: StoredTicket = { ticket: next, grant: grant !== undefined && 'set' in grant ? grant.set : undefined };
    this.notify(`ticket.${event}` as WebhookEventName, after);
    this.logger.info({ ticket: next.id, event, reviewer: actor.subject }, 'approval ticket changed');
    return ticketView(after, this.now());
  }

  // --- the clock ---------------------------------------------------------------------------------

  start(): void {
    this.sweeper = setInterval(() => void this.sweep(), this.config.sweep_interval_seconds * 1000);
    this.sweeper.unref();
  }

  /** Records, once across replicas (compare-and-set), every pending ticket and grant that ran out. */
  sweep(): Promise<void> {
    this.sweeping ??= (async () => {
      try {
        const nowMs = this.now();
        for (const stored of await this.store.active()) {
          if (effectiveState(stored, nowMs) !== 'expired') continue;
          const next = expired(stored.ticket, nowMs);
          if (!(await this.store.update(next, stored.ticket.version, { clear: true }))) continue;
          await this.audit.append(auditEntry(next, 'expired', null, {})).catch((err: unknown) => this.logger.error({ err, ticket: next.id }, 'expiry of a ticket could not be audited'));
          this.notify('ticket.expired', { ticket: next, grant: undefined });
        }
      } catch (err) {
        this.logger.warn({ err: (err as Error).message, store: this.store.kind }, 'approvals sweep failed');
      } finally {
        this.sweeping = undefined;
      }
    })();
    return this.sweeping;
  }

  async close(): Promise<void> {
    if (this.sweeper !== undefined) clearInterval(this.sweeper);
    await this.sweeping;
    await this.webhook?.drain(2000);
    this.reviewers.close();
    await this.store.close();
  }

  private async load(id: string): Promise<StoredTicket> {
    if (!TICKET_ID_PATTERN.test(id)) throw new ApprovalError('TICKET_NOT_FOUND', `not a ticket id: ${id.slice(0, 40)}`);
    const stored = await this.storeCall(() => this.store.get(id));
    if (stored === undefined) throw new ApprovalError('TICKET_NOT_FOUND', `no ticket ${id}`);
    return stored;
  }

  private async storeCall<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof ApprovalError) throw err;
      throw new ApprovalError('APPROVALS_UNAVAILABLE', `approvals store (${this.store.kind}): ${(err as Error).message}`, { cause: err });
    }
  }

  private notify(event: WebhookEventName, stored: StoredTicket): void {
    this.webhook?.send({ event, id: `${stored.ticket.id}.${stored.ticket.version}`, at: new Date(this.now()).toISOString(), ticket: ticketView(stored, this.now()) });
  }
}

const principal = (p: Principal): Principal => ({ issuer: p.issuer, subject: p.subject });

function requireComment(value: unknown): string {
  if (typeof value !== 'string' || value.trim() === '') throw new ApprovalError('COMMENT_REQUIRED');
  if (value.length > MAX_COMMENT) throw new ApprovalError('INVALID_REQUEST', `comment longer than ${MAX_COMMENT} characters`);
  return value.trim();
}

/** The client's reason: printable text, at most 500 characters; empty is none. */
function cleanReason(value: string | undefined): string | null {
  if (value === undefined) return null;
  // eslint-disable-next-line no-control-regex
  const text = value.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim().slice(0, MAX_REASON);
  return text === '' ? null : text;
}

function auditEntry(t: Ticket, event: ApprovalEvent, actor: Principal | null, extra: { request_id?: string; comment?: string | null }): ApprovalEntry {
  return {
    kind: 'approval',
    ticket: t.id,
    event,
    actor: actor?.subject ?? null,
    actor_issuer: actor?.issuer ?? null,
    request_id: extra.request_id ?? null,
    subject: t.requester.subject,
    issuer: t.requester.issuer,
    origin_region: t.origin_region,
    target: t.target,
    target_region: t.target_region,
    comment: extra.comment ?? null,
    grant_expires_at: event === 'approved' ? (t.grant?.expires_at ?? null) : null,
    grant_uses: event === 'approved' ? (t.grant?.uses ?? null) : null,
  };
}
