// `residency-gate audit export FILES… [--from T] [--to T] [--region R] [--format json|csv]`:
// the records in a time range (checkpoints aside) as JSON lines, exactly as written, or as CSV
// with one column per field, for a spreadsheet or a SIEM import.
import { parseArgs } from 'node:util';
import { readRecords, type ReadStats } from '../../audit/query.js';
import type { AuditRecord } from '../../audit/record.js';
import { AuditUsageError, parseTime, trailFiles, write, type CliIo } from './io.js';

const COLUMNS = [
  'seq', 'ts', 'kind', 'request_id', 'subject', 'issuer', 'origin_region', 'target', 'target_region', 'decision', 'rule',
  'code', 'method', 'authority', 'path', 'outcome', 'profile',
  'request_bytes_received', 'request_bytes_delivered', 'request_sha256_received', 'request_sha256_delivered',
  'response_bytes_received', 'response_bytes_delivered', 'response_sha256_received', 'response_sha256_delivered',
  'masked_request', 'masked_response', 'ticket', 'event', 'actor', 'actor_issuer', 'comment', 'grant_expires_at', 'grant_uses',
] as const;

export async function auditExport(argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { from: { type: 'string' }, to: { type: 'string' }, region: { type: 'string' }, format: { type: 'string', default: 'json' } },
  });
  if (values.format !== 'json' && values.format !== 'csv') throw new AuditUsageError('--format is json or csv');
  const filter = { from: parseTime('--from', values.from), to: parseTime('--to', values.to), region: values.region };
  const files = await trailFiles(positionals);
  const stats: ReadStats = { unreadable: 0 };
  const csv = values.format === 'csv';
  if (csv) await write(io.stdout, `${COLUMNS.join(',')}\r\n`);
  let count = 0;
  for await (const record of readRecords(files, filter, stats)) {
    await write(io.stdout, csv ? `${COLUMNS.map((c) => csvCell(flatten(record)[c])).join(',')}\r\n` : `${JSON.stringify(record)}\n`);
    count += 1;
  }
  io.stderr.write(`exported ${count} record(s)${stats.unreadable > 0 ? `; skipped ${stats.unreadable} unreadable line(s)` : ''}; run \`residency-gate audit verify\` to check them\n`);
  return 0;
}

function flatten(record: AuditRecord): Partial<Record<(typeof COLUMNS)[number], string | number | null>> {
  switch (record.kind) {
    case 'decision':
    case 'approval':
      return record;
    case 'payload': {
      const { request, response, masked, ...rest } = record;
      return {
        ...rest,
        request_bytes_received: request?.bytes_received ?? null,
        request_bytes_delivered: request?.bytes_delivered ?? null,
        request_sha256_received: request?.sha256_received ?? null,
        request_sha256_delivered: request?.sha256_delivered ?? null,
        response_bytes_received: response?.bytes_received ?? null,
        response_bytes_delivered: response?.bytes_delivered ?? null,
        response_sha256_received: response?.sha256_received ?? null,
        response_sha256_delivered: response?.sha256_delivered ?? null,
        masked_request: maskedCounts(masked.request),
        masked_response: maskedCounts(masked.response),
      };
    }
    case 'checkpoint':
      return { seq: record.seq, ts: record.ts, kind: record.kind };
  }
}

function maskedCounts(counts: Readonly<Record<string, number>>): string {
  return Object.entries(counts).map(([k, v]) => `${k}=${v}`).join(';');
}

/** RFC 4180 quoting; a leading = + - @ is defused, since paths and subjects come from callers. */
export function csvCell(value: string | number | null | undefined): string {
  if (value === null || value === undefined) return '';
  let text = String(value);
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}
