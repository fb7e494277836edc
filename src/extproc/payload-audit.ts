// Turns an exchange's PayloadReport into its audit record and log line.
import type { PayloadEntry } from '../audit/record.js';
import type { AuditWriter } from '../audit/writer.js';
import { requestLogger, type Logger } from '../logging/logger.js';
import type { PayloadReport } from './payload-report.js';

export function payloadEntry(report: PayloadReport): PayloadEntry {
  const { context, request, response } = report;
  return {
    kind: 'payload',
    request_id: context?.requestId ?? '',
    origin_region: context?.originRegion ?? null,
    target: context?.target ?? null,
    target_region: context?.targetRegion ?? null,
    request: request?.summary ?? null,
    response: response?.summary ?? null,
    masked: { request: request?.masked ?? {}, response: response?.masked ?? {} },
    profile: request?.profile ?? response?.profile ?? null,
    outcome: report.outcome,
    code: report.code,
    upstream: report.upstream,
  };
}

export function payloadReporter(audit: AuditWriter, logger: Logger, observe?: (report: PayloadReport) => void): (report: PayloadReport) => Promise<void> {
  return async (report) => {
    const entry = payloadEntry(report);
    observe?.(report);
    requestLogger(logger, entry.request_id).info(
      {
        outcome: entry.outcome,
        code: entry.code ?? undefined,
        request_bytes: entry.request?.bytes_received,
        response_bytes: entry.response?.bytes_received,
        masked: entry.masked,
      },
      'payload processed',
    );
    await audit.append(entry);
  };
}
