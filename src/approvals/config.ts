// The `approvals` section: where tickets and grants are kept (a file under a data directory, or
// Redis shared by several replicas), the bounds of a grant, who may review (a token issuer and a
// group/role claim), and an optional webhook. Absent: the `approval` outcome is a plain 403
// APPROVAL_REQUIRED, as before approvals existed (docs/approvals.md).
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { z } from 'zod';
import { identityConfigSchema } from '../identity/config.js';

/** One token issuer as identity.issuers configures it; reviewers' issuers have the same shape. */
const issuerSchema = identityConfigSchema.shape.issuers.unwrap().element;

const fileStore = z.strictObject({
  type: z.literal('file'),
  /** The data directory; relative to the config file. Default: `approvals/` beside the audit file. */
  dir: z.string().min(1).optional(),
});

const redisStore = z.strictObject({
  type: z.literal('redis'),
  /** redis://[user:password@]host:port[/db] or rediss:// for TLS. */
  url: z.string().regex(/^rediss?:\/\/.+/, 'expected redis://HOST:PORT[/DB] or rediss://…'),
  /** Every key starts with this, so several deployments can share one Redis. */
  key_prefix: z.string().min(1).default('residency-gate:approvals:'),
  connect_timeout_ms: z.number().int().positive().default(2000),
  /** A command that takes longer fails, and the approval decision fails closed. */
  command_timeout_ms: z.number().int().positive().default(1000),
});

const reviewerIssuer = issuerSchema.extend({
  /** The claim that lists the reviewer's groups or roles (a string or an array of strings); dotted paths as for region_claim. */
  role_claim: z.string().min(1).default('groups'),
  /** A token is a reviewer's if its role claim holds one of these. */
  roles: z.array(z.string().min(1)).min(1),
});

const webhook = z.strictObject({
  url: z.url(),
  /** Extra request headers, e.g. an authorization for the receiving end. */
  headers: z.record(z.string(), z.string()).default({}),
  timeout_ms: z.number().int().positive().default(5000),
  /** Deliveries tried per event, the first included. */
  attempts: z.number().int().min(1).max(20).default(6),
  /** The first retry waits this long; each next one twice as long, up to max_backoff_ms. */
  backoff_ms: z.number().int().positive().default(500),
  max_backoff_ms: z.number().int().positive().default(60_000),
  /** Events waiting beyond this many are dropped (and logged): a dead receiver must not eat memory. */
  queue_limit: z.number().int().positive().default(10_000),
});

export const approvalsConfigSchema = z
  .strictObject({
    store: z.discriminatedUnion('type', [fileStore, redisStore]).default({ type: 'file' }),
    /** A pending ticket no reviewer decided in this time expires; the next request opens a new one. */
    pending_ttl_seconds: z.number().positive().default(7 * 24 * 3600),
    /** Decided, expired and revoked tickets are kept this long after their last change (grants: after they end). */
    retention_seconds: z.number().positive().default(30 * 24 * 3600),
    grant: z
      .strictObject({
        /** A grant's lifetime when the reviewer names none. */
        default_lifetime_seconds: z.number().positive().default(3600),
        min_lifetime_seconds: z.number().positive().default(60),
        max_lifetime_seconds: z.number().positive().default(24 * 3600),
        /** Bound on the uses a reviewer may grant; unset: any number, or unlimited. */
        max_uses: z.number().int().positive().optional(),
      })
      .prefault({})
      .refine((g) => g.min_lifetime_seconds <= g.default_lifetime_seconds && g.default_lifetime_seconds <= g.max_lifetime_seconds, {
        message: 'expected min_lifetime_seconds <= default_lifetime_seconds <= max_lifetime_seconds',
      }),
    reviewers: z.strictObject({ issuers: z.array(reviewerIssuer).min(1) }),
    /** Where the 403 body tells a client to ask for approval; `{ticket}` is replaced by the ticket id. */
    review_url: z.string().min(1).optional(),
    /** The request header a client may give its reason in (kept, cut to 500 characters). */
    justification_header: z.string().min(1).toLowerCase().default('x-residency-justification'),
    webhook: webhook.optional(),
    /** How often each replica looks for pending tickets and grants that have run out. */
    sweep_interval_seconds: z.number().positive().default(30),
  })
  .optional();

export type ApprovalsConfig = NonNullable<z.output<typeof approvalsConfigSchema>>;
export type ReviewerIssuerConfig = ApprovalsConfig['reviewers']['issuers'][number];
export type WebhookConfig = NonNullable<ApprovalsConfig['webhook']>;

/** Resolves the store directory (default: approvals/ beside the audit file) and the reviewers' JWKS files. */
export function resolveApprovalsPaths(approvals: ApprovalsConfig | undefined, baseDir: string, auditFile: string): void {
  if (approvals === undefined) return;
  const abs = (p: string): string => (isAbsolute(p) ? p : resolve(baseDir, p));
  if (approvals.store.type === 'file') approvals.store.dir = approvals.store.dir === undefined ? join(dirname(auditFile), 'approvals') : abs(approvals.store.dir);
  for (const iss of approvals.reviewers.issuers) {
    if (iss.jwks.file !== undefined) iss.jwks.file = abs(iss.jwks.file);
  }
}
