// Tickets and grants: what a store keeps, and what reviewers, clients and the webhook see of it.
// Times are RFC 3339 strings in what is stored and shown, milliseconds where a store compares them.

export const TICKET_STATES = ['pending', 'approved', 'denied', 'expired', 'revoked'] as const;
export type TicketState = (typeof TICKET_STATES)[number];

/** A token's issuer and subject: who asked, who reviewed. */
export interface Principal {
  readonly issuer: string;
  readonly subject: string;
}

/** What a reviewer's approval lets through: that requester, that target, until `expires_at`. */
export interface GrantTerms {
  readonly expires_at: string;
  /** How many requests it lets through; null: any number until it expires. */
  readonly uses: number | null;
}

export interface Ticket {
  /** `apr_` and 16 URL-safe characters. */
  readonly id: string;
  /** Bumped on every change: stores compare it to make changes atomic (compare and set). */
  readonly version: number;
  /** As stored; `effectiveState` also says when a pending ticket or a grant ran out unseen. */
  readonly state: TicketState;
  /** The requester and target this ticket (and its grant) is for: see grantKey. */
  readonly key: string;
  readonly requester: Principal;
  readonly origin_region: string;
  readonly target: string;
  readonly target_region: string;
  /** The policy rule that asked for approval. */
  readonly rule: string;
  /** The first request's method, path and x-request-id. */
  readonly method: string;
  readonly path: string;
  readonly request_id: string;
  /** The client's own reason (x-residency-justification), if it gave one. */
  readonly reason: string | null;
  readonly created_at: string;
  /** A pending ticket expires then. */
  readonly pending_until: string;
  readonly updated_at: string;
  readonly decided_at: string | null;
  readonly reviewer: Principal | null;
  readonly comment: string | null;
  /** Set on approval. */
  readonly grant: GrantTerms | null;
  readonly revoked_at: string | null;
  readonly revoked_by: Principal | null;
  readonly revoke_comment: string | null;
}

/** The live part of a grant, as stores keep it apart from the ticket (one per key). */
export interface GrantRecord {
  readonly ticket: string;
  readonly expires_at_ms: number;
  /** -1: unlimited. */
  readonly uses_left: number;
}

/** A ticket and, while it is that ticket's, the grant its approval made. */
export interface StoredTicket {
  readonly ticket: Ticket;
  readonly grant: GrantRecord | undefined;
}

/** What happens to the key's grant when a ticket changes. */
export type GrantChange = { readonly set: GrantRecord } | { readonly clear: true } | undefined;

/** A grant use: the request passes under this ticket. */
export interface GrantUse {
  readonly ticket: string;
  /** Uses left after this one; null: unlimited. */
  readonly remaining: number | null;
}

/**
 * Where tickets and grants live. Every method is atomic on its own, across replicas sharing the
 * store: `open` creates at most one pending ticket per key, `update` is a compare-and-set on the
 * version, `consume` takes one use of a grant at most once. Any failure rejects: callers fail closed.
 */
export interface ApprovalStore {
  readonly kind: 'file' | 'redis';
  /** Returns the key's pending ticket if there is one (created: false), else stores `draft` (created: true). */
  open(draft: Ticket, nowMs: number): Promise<{ ticket: Ticket; created: boolean }>;
  get(id: string): Promise<StoredTicket | undefined>;
  /** Every ticket kept, newest first. */
  list(): Promise<StoredTicket[]>;
  /** Pending and approved tickets: what the sweeper looks at. */
  active(): Promise<StoredTicket[]>;
  /** Replaces the ticket if its stored version is still `expectedVersion`; false if it changed (or is gone). */
  update(next: Ticket, expectedVersion: number, grant: GrantChange): Promise<boolean>;
  /** Takes one use of the key's grant, if it has one that is live. */
  consume(key: string, nowMs: number): Promise<GrantUse | undefined>;
  /** Rejects unless the store answers (readiness, tests). */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** Retention of tickets and pending ttl, which both stores need to expire keys. */
export interface StoreTimes {
  readonly pendingTtlMs: number;
  readonly retentionMs: number;
}
