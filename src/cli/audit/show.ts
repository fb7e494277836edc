// `residency-gate audit show REQUEST_ID FILES…`: one request's story in trail order, the decision
// first, then what ext_proc saw of its payload (and any approval steps), as a readable timeline.
import type { PayloadDigest } from '../../audit/record.js';
import { readRecords } from '../../audit/query.js';
import type { AuditRecord } from '../../audit/record.js';
import { AuditUsageError, formatCount, trailFiles, write, type CliIo } from './io.js';

export async function auditShow(argv: string[], io: CliIo): Promise<number> {
  const [requestId, ...paths] = argv;
  if (requestId === undefined || requestId.startsWith('--')) throw new AuditUsageError('usage: residency-gate audit show REQUEST_ID FILES…');
  const lines: string[] = [];
  for await (const record of readRecords(await trailFiles(paths), { requestId })) lines.push(...describe(record));
  if (lines.length === 0) {
    io.stderr.write(`no record for request ${requestId}\n`);
    return 1;
  }
  await write(io.stdout, `request ${requestId}\n${lines.join('\n')}\n`);
  return 0;
}

function describe(record: AuditRecord): string[] {
  const head = `  ${record.ts}  seq ${record.seq}  ${record.kind.padEnd(8)}`;
  switch (record.kind) {
    case 'decision':
      return [
        `${head}  ${record.decision.toUpperCase()}${record.code ? ` ${record.code}` : ''}${record.rule ? ` (rule ${record.rule})` : ''}${record.ticket ? ` ticket ${record.ticket}` : ''}`,
        `      caller   ${record.subject ?? '(no verified identity)'}${record.issuer ? ` from ${record.issuer}` : ''}, region ${record.origin_region ?? '-'}`,
        `      target   ${record.target ?? '(unknown)'} in ${record.target_region ?? '-'}: ${record.method} ${record.authority}${record.path}`,
      ];
    case 'payload':
      return [
        `${head}  ${record.outcome}${record.code ? ` ${record.code}` : ''}${record.profile ? `, masking profile ${record.profile}` : ''}`,
        `      request  ${digest(record.request, record.masked.request)}`,
        `      response ${digest(record.response, record.masked.response)}`,
      ];
    case 'approval':
      return [
        `${head}  ticket ${record.ticket} ${record.event}${record.actor ? ` by ${record.actor}` : ''}${record.grant_expires_at ? ` until ${record.grant_expires_at}${record.grant_uses === null ? '' : `, ${record.grant_uses} use(s)`}` : ''}`,
        `      for      ${record.subject} from ${record.issuer}, ${record.origin_region} → ${record.target} in ${record.target_region}${record.comment ? `: ${JSON.stringify(record.comment)}` : ''}`,
      ];
    case 'checkpoint':
      return [];
  }
}

function digest(d: PayloadDigest | null, masked: Readonly<Record<string, number>>): string {
  if (d === null) return '(no body)';
  const changed = d.sha256_received === d.sha256_delivered ? 'delivered unchanged' : `delivered ${formatCount(d.bytes_delivered)} B sha256 ${d.sha256_delivered.slice(0, 12)}…`;
  const counts = Object.entries(masked).map(([k, v]) => `${k}×${v}`).join(', ');
  return `received ${formatCount(d.bytes_received)} B sha256 ${d.sha256_received.slice(0, 12)}…, ${changed}${counts ? `; masked ${counts}` : ''}`;
}
