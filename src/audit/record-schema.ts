// The audit record as zod schemas, field for field the same as schemas/audit-record.schema.json
// (a unit test holds the two together). verify uses them to report records a writer of this
// version would not have produced; tests use them on what the writer really wrote.
import { z } from 'zod';

export const hex64 = z.string().regex(/^[0-9a-f]{64}$/, 'expected 64 lower-case hex digits');
const rfc3339 = z.iso.datetime({ offset: true });
const nullableString = z.string().nullable();
const count = z.number().int().nonnegative();

const envelope = {
  seq: z.number().int().positive(),
  ts: rfc3339,
  prev: hex64,
};

export const payloadDigestSchema = z.strictObject({
  sha256_received: hex64,
  sha256_delivered: hex64,
  bytes_received: count,
  bytes_delivered: count,
});

export const maskedCountsSchema = z.record(z.string(), count);

export const decisionRecordSchema = z.strictObject({
  ...envelope,
  kind: z.literal('decision'),
  request_id: z.string(),
  subject: nullableString,
  issuer: nullableString,
  identity_source: z.enum(['token', 'spiffe', 'jwt_authn']).nullable(),
  origin_region: nullableString,
  target: nullableString,
  target_region: nullableString,
  decision: z.enum(['allow', 'allow-masked', 'reroute', 'would-deny', 'deny', 'approval', 'approved']),
  rule: nullableString,
  code: nullableString,
  method: z.string(),
  authority: z.string(),
  path: z.string(),
  ticket: z.string().min(1).optional(),
});

export const payloadRecordSchema = z.strictObject({
  ...envelope,
  kind: z.literal('payload'),
  request_id: z.string(),
  origin_region: nullableString,
  target: nullableString,
  target_region: nullableString,
  request: payloadDigestSchema.nullable(),
  response: payloadDigestSchema.nullable(),
  masked: z.strictObject({ request: maskedCountsSchema, response: maskedCountsSchema }),
  profile: nullableString,
  outcome: z.enum(['complete', 'blocked', 'aborted', 'violation']),
  code: nullableString,
  upstream: z.strictObject({ address: nullableString, cluster: nullableString, region: nullableString }).nullable(),
});

export const approvalRecordSchema = z.strictObject({
  ...envelope,
  kind: z.literal('approval'),
  ticket: z.string().min(1),
  event: z.enum(['requested', 'approved', 'denied', 'expired', 'revoked']),
  actor: nullableString,
  actor_issuer: nullableString,
  request_id: nullableString,
  subject: z.string(),
  issuer: z.string(),
  origin_region: z.string(),
  target: z.string(),
  target_region: z.string(),
  comment: nullableString,
  grant_expires_at: rfc3339.nullable(),
  grant_uses: z.number().int().positive().nullable(),
});

export const checkpointRecordSchema = z.strictObject({
  ...envelope,
  kind: z.literal('checkpoint'),
  head: hex64,
  count,
  jws: z.string().regex(/^[\w-]+\.[\w-]+\.[\w-]+$/, 'expected a compact JWS'),
});

export const RECORD_SCHEMAS = {
  decision: decisionRecordSchema,
  payload: payloadRecordSchema,
  approval: approvalRecordSchema,
  checkpoint: checkpointRecordSchema,
} as const;

export const auditRecordSchema = z.discriminatedUnion('kind', [decisionRecordSchema, payloadRecordSchema, approvalRecordSchema, checkpointRecordSchema]);

/** What verify needs of every line, whatever its kind: enough to follow the chain. */
export const chainFieldsSchema = z.object({ seq: z.number().int().positive(), prev: hex64, kind: z.string() });
