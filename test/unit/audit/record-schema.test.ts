// The record's three descriptions must say the same thing: the JSON Schema file for people and
// their tools, the zod schemas verify uses, and the TypeScript types callers write against.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import type { ApprovalEntry, CheckpointEntry, DecisionEntry, PayloadDigest, PayloadEntry, RecordEnvelope } from '../../../src/audit/record.js';
import type { checkpointRecordSchema } from '../../../src/audit/record-schema.js';
import {
  approvalRecordSchema, auditRecordSchema, decisionRecordSchema, payloadDigestSchema, payloadRecordSchema, RECORD_SCHEMAS,
} from '../../../src/audit/record-schema.js';
import { AuditWriter } from '../../../src/audit/writer.js';
import { approval, decision, lines, payload, signingKey, tempDir, trailIn } from './fixtures.js';

interface JsonProperty {
  readonly $ref?: string;
  readonly type?: string | string[];
  readonly const?: string;
  readonly enum?: string[];
  readonly oneOf?: JsonProperty[];
}
interface JsonObject {
  readonly properties: Record<string, JsonProperty>;
  readonly required: string[];
}
interface JsonSchemaFile {
  readonly oneOf: Array<{ $ref: string }>;
  readonly $defs: Record<string, JsonObject>;
}

const jsonSchema = JSON.parse(readFileSync(join(import.meta.dirname, '../../../schemas/audit-record.schema.json'), 'utf8')) as JsonSchemaFile;
const KINDS = ['decision', 'payload', 'approval', 'checkpoint'] as const;

type Shape = Record<string, z.ZodType>;
const requiredOf = (shape: Shape): string[] => Object.keys(shape).filter((k) => !shape[k]?.safeParse(undefined).success).sort();
const nullableOf = (shape: Shape): string[] => Object.keys(shape).filter((k) => shape[k]?.safeParse(null).success).sort();
const jsonNullable = (def: JsonObject): string[] =>
  Object.entries(def.properties)
    .filter(([, p]) => p.$ref === '#/$defs/nullableString' || (Array.isArray(p.type) && p.type.includes('null')) || p.oneOf?.some((s) => s.type === 'null'))
    .map(([k]) => k)
    .sort();

describe('schemas/audit-record.schema.json and src/audit/record-schema.ts', () => {
  it.each(KINDS)('agree on the fields of a %s record, which are required, and which may be null', (kind) => {
    const def = jsonSchema.$defs[kind];
    const shape = RECORD_SCHEMAS[kind].shape as Shape;
    expect(jsonSchema.oneOf).toContainEqual({ $ref: `#/$defs/${kind}` });
    expect(def?.properties.kind?.const).toBe(kind);
    expect(Object.keys(def?.properties ?? {}).sort()).toEqual(Object.keys(shape).sort());
    expect([...(def?.required ?? [])].sort()).toEqual(requiredOf(shape));
    expect(jsonNullable(def!)).toEqual(nullableOf(shape));
  });

  it('agree on the payload digest', () => {
    const def = jsonSchema.$defs.digest!;
    const shape = payloadDigestSchema.shape as Shape;
    expect(Object.keys(def.properties).sort()).toEqual(Object.keys(shape).sort());
    expect([...def.required].sort()).toEqual(requiredOf(shape));
  });

  it('agree on the enumerations', () => {
    expect(jsonSchema.$defs.decision?.properties.decision?.enum).toEqual(decisionRecordSchema.shape.decision.options);
    expect(jsonSchema.$defs.payload?.properties.outcome?.enum).toEqual(payloadRecordSchema.shape.outcome.options);
    expect(jsonSchema.$defs.approval?.properties.event?.enum).toEqual(approvalRecordSchema.shape.event.options);
  });

  it('agree with the TypeScript types (checked by tsc)', () => {
    // Each pair must be assignable both ways; tsc fails the build if a field differs.
    const pairs = {
      decision: [(r: z.output<typeof decisionRecordSchema>): DecisionEntry & RecordEnvelope => r, (r: DecisionEntry & RecordEnvelope): z.output<typeof decisionRecordSchema> => r],
      payload: [(r: z.output<typeof payloadRecordSchema>): PayloadEntry & RecordEnvelope => r, (r: PayloadEntry & RecordEnvelope): z.output<typeof payloadRecordSchema> => r],
      approval: [(r: z.output<typeof approvalRecordSchema>): ApprovalEntry & RecordEnvelope => r, (r: ApprovalEntry & RecordEnvelope): z.output<typeof approvalRecordSchema> => r],
      checkpoint: [(r: z.output<typeof checkpointRecordSchema>): CheckpointEntry & RecordEnvelope => r, (r: CheckpointEntry & RecordEnvelope): z.output<typeof checkpointRecordSchema> => r],
      digest: [(d: z.output<typeof payloadDigestSchema>): PayloadDigest => d, (d: PayloadDigest): z.output<typeof payloadDigestSchema> => d],
    };
    expect(Object.keys(pairs).sort()).toEqual([...KINDS, 'digest'].sort());
  });
});

describe('records the writer really writes', () => {
  it('match the schema, every kind, across rotated files', async () => {
    const dir = await tempDir();
    const key = await signingKey(dir);
    const writer = await AuditWriter.open({ file: join(dir, 'audit.jsonl'), signing_key_file: key.privateFile, checkpoint_every_records: 4, rotate_bytes: 2048 });
    for (let i = 0; i < 6; i++) {
      await writer.append(decision(`r-${i}`, i % 2 === 0 ? {} : { decision: 'deny', code: 'RESIDENCY_CROSS_REGION', subject: null, issuer: null }));
      await writer.append(payload(`r-${i}`));
      await writer.append(approval(`t-${i}`));
      await writer.append(decision(`a-${i}`, { decision: 'approved', ticket: `apr_${'x'.repeat(16)}` }));
    }
    await writer.close();
    const files = await trailIn(dir);
    expect(files.length).toBeGreaterThan(1);
    const kinds = new Set<string>();
    for (const file of files) {
      for (const line of await lines(file)) {
        const parsed = auditRecordSchema.safeParse(JSON.parse(line));
        expect(parsed.error?.issues ?? [], line).toEqual([]);
        kinds.add(parsed.data?.kind ?? '');
      }
    }
    expect([...kinds].sort()).toEqual(['approval', 'checkpoint', 'decision', 'payload']);
  });
});
