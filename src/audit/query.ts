// Reads records back for export, report and show: streaming (node:readline over a read stream),
// files in chain order, filtered by time, region and request. It does not verify; `audit verify`
// does that, and the commands say so.
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { AuditRecord } from './record.js';
import { auditRecordSchema } from './record-schema.js';
import { orderTrailFiles } from './trail-order.js';

export interface RecordFilter {
  /** Inclusive. */
  readonly from?: Date;
  /** Exclusive. */
  readonly to?: Date;
  /** Records whose origin or target region is this one. */
  readonly region?: string;
  readonly requestId?: string;
  readonly includeCheckpoints?: boolean;
}

export interface ReadStats {
  /** Lines that are not records of a kind this version knows (a torn tail, a newer writer). */
  unreadable: number;
}

export async function* readRecords(files: readonly string[], filter: RecordFilter, stats: ReadStats = { unreadable: 0 }): AsyncGenerator<AuditRecord> {
  const { ordered, unplaceable } = await orderTrailFiles(files);
  for (const file of [...ordered, ...unplaceable]) {
    const lines = createInterface({ input: createReadStream(file.path), crlfDelay: Infinity });
    for await (const line of lines) {
      if (line === '') continue;
      const record = parseRecord(line);
      if (record === undefined) {
        stats.unreadable += 1;
        continue;
      }
      if (matches(record, filter)) yield record;
    }
  }
}

function parseRecord(line: string): AuditRecord | undefined {
  try {
    const parsed = auditRecordSchema.safeParse(JSON.parse(line));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

function matches(record: AuditRecord, filter: RecordFilter): boolean {
  if (record.kind === 'checkpoint' && filter.includeCheckpoints !== true) return false;
  if (filter.from !== undefined || filter.to !== undefined) {
    const ts = Date.parse(record.ts);
    if (filter.from !== undefined && ts < filter.from.getTime()) return false;
    if (filter.to !== undefined && ts >= filter.to.getTime()) return false;
  }
  if (filter.requestId !== undefined && !('request_id' in record && record.request_id === filter.requestId)) return false;
  if (filter.region !== undefined) {
    if (!('origin_region' in record)) return false;
    if (record.origin_region !== filter.region && record.target_region !== filter.region) return false;
  }
  return true;
}
