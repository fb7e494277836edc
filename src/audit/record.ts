// The audit record: one JSON object per line. Field names are the contract auditors and their
// tools read (DESIGN.md §2, schemas/audit-record.schema.json, docs/audit.md); no token, body or
// masked value ever goes in.

export type AuditKind = 'decision' | 'payload' | 'approval' | 'checkpoint';

export interface DecisionEntry {
  readonly kind: 'decision';
  readonly request_id: string;
  readonly subject: string | null;
  readonly issuer: string | null;
  /** Which credential established the identity: a bearer token, the mTLS peer's SPIFFE ID, or jwt_authn's payload. */
  readonly identity_source: 'token' | 'spiffe' | 'jwt_authn' | null;
  readonly origin_region: string | null;
  readonly target: string | null;
  readonly target_region: string | null;
  /** What happened: `would-deny` passed only because of dry run; `approval` waits for a reviewer; `approved` passed under a reviewer's grant. */
  readonly decision: 'allow' | 'allow-masked' | 'reroute' | 'would-deny' | 'deny' | 'approval' | 'approved';
  readonly rule: string | null;
  readonly code: string | null;
  readonly method: string;
  readonly authority: string;
  readonly path: string;
  /** The approval ticket: the one a held request opened or joined, or the one whose grant let it pass. Absent when no ticket was involved (and in records written before approvals existed). */
  readonly ticket?: string;
}

/** What one direction of a stream carried: hashes and sizes of the bytes seen and of the bytes passed on. */
export interface PayloadDigest {
  readonly sha256_received: string;
  readonly sha256_delivered: string;
  readonly bytes_received: number;
  readonly bytes_delivered: number;
}

/** How many values were masked, by detector name (or 'field' for whole-field rules). */
export type MaskedCounts = Readonly<Record<string, number>>;

/** One record per ext_proc stream, written when the stream ends; a direction without a body is null. */
export interface PayloadEntry {
  readonly kind: 'payload';
  readonly request_id: string;
  readonly origin_region: string | null;
  readonly target: string | null;
  readonly target_region: string | null;
  readonly request: PayloadDigest | null;
  readonly response: PayloadDigest | null;
  readonly masked: { readonly request: MaskedCounts; readonly response: MaskedCounts };
  readonly profile: string | null;
  /** `violation`: the host that answered is outside the region the decision allowed. */
  readonly outcome: 'complete' | 'blocked' | 'aborted' | 'violation';
  readonly code: string | null;
  /** The host that answered, where Envoy reported it; its region from locality or the policy's networks. */
  readonly upstream: { readonly address: string | null; readonly cluster: string | null; readonly region: string | null } | null;
}

export type ApprovalEvent = 'requested' | 'approved' | 'denied' | 'expired' | 'revoked';

/** One step of an approval ticket (docs/approvals.md): opened by a held request, decided by a reviewer, revoked, or run out. */
export interface ApprovalEntry {
  readonly kind: 'approval';
  readonly ticket: string;
  readonly event: ApprovalEvent;
  /** Who acted: the requester (requested), the reviewer (approved, denied, revoked); null for the clock (expired). */
  readonly actor: string | null;
  readonly actor_issuer: string | null;
  /** requested: the request that opened the ticket; null otherwise. */
  readonly request_id: string | null;
  /** The requester. */
  readonly subject: string;
  readonly issuer: string;
  readonly origin_region: string;
  readonly target: string;
  readonly target_region: string;
  /** The reviewer's comment (approved, denied, revoked); the client's reason (requested). */
  readonly comment: string | null;
  /** approved: when the grant ends, and how many requests it lets through (null: any number). */
  readonly grant_expires_at: string | null;
  readonly grant_uses: number | null;
}

/**
 * Written by the writer itself, never by callers: `jws` signs {head, seq: count, ts, file}, so the
 * chain up to `head` cannot be rewritten by someone without the signing key.
 */
export interface CheckpointEntry {
  readonly kind: 'checkpoint';
  /** The hash of the previous line: the chain head this checkpoint covers (equal to `prev`). */
  readonly head: string;
  /** The seq of the last record covered (this record's seq − 1). */
  readonly count: number;
  readonly jws: string;
}

/** What a caller hands the writer; the writer adds the sequence, time and chain link. */
export type AuditEntry = DecisionEntry | PayloadEntry | ApprovalEntry;

export interface RecordEnvelope {
  readonly seq: number;
  readonly ts: string;
  readonly prev: string;
}

export type AuditRecord = (AuditEntry | CheckpointEntry) & RecordEnvelope;

/** `prev` of the very first record of a trail: no line came before it. */
export const GENESIS_HASH = '0'.repeat(64);
