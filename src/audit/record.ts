// The audit record: one JSON object per line. Field names are the contract auditors and their
// tools read (DESIGN.md §2); no token, body or masked value ever goes in.

export type AuditKind = 'decision' | 'payload' | 'approval' | 'checkpoint';

export interface DecisionEntry {
  readonly kind: 'decision';
  readonly request_id: string;
  readonly subject: string | null;
  readonly issuer: string | null;
  readonly origin_region: string | null;
  readonly target: string | null;
  readonly target_region: string | null;
  readonly decision: 'allow' | 'deny';
  readonly rule: string | null;
  readonly code: string | null;
  readonly method: string;
  readonly authority: string;
  readonly path: string;
}

/** What a caller hands the writer; the writer adds the sequence, time and chain link. */
export type AuditEntry = DecisionEntry;

export type AuditRecord = AuditEntry & {
  readonly seq: number;
  readonly ts: string;
  readonly prev: string;
};

/** `prev` of the very first record of a trail: no line came before it. */
export const GENESIS_HASH = '0'.repeat(64);
