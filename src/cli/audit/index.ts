// `residency-gate audit verify|export|report|show`: reading and checking audit trails. Each
// command parses its own options, so main.ts only hands over the arguments after `audit`.
import { auditExport } from './export.js';
import { AuditUsageError, isClosedPipe, processIo, type CliIo } from './io.js';
import { auditReport } from './report.js';
import { auditShow } from './show.js';
import { auditVerify } from './verify.js';

export const AUDIT_HELP = `  residency-gate audit verify FILES… [--key JWK] [--max-uncovered N] [--json]
      Check the hash chain, sequence and checkpoint signatures across rotated files (any order;
      a directory stands for its *.jsonl files). Several chains among them (one per worker,
      audit.w1.jsonl, audit.w2.jsonl, …) are each verified and reported on their own.
      Exit 1 naming the first bad file:line and why.
      Example: residency-gate audit verify var/ --key config/example/audit-signing.private.jwk.json
  residency-gate audit export FILES… [--from TIME] [--to TIME] [--region REGION] [--format json|csv]
  residency-gate audit report FILES… [--from TIME] [--to TIME]
      Decisions by origin region × target region × allow/deny.
  residency-gate audit show REQUEST_ID FILES…
      One request's decision and payload records as a timeline.
`;

const COMMANDS: Record<string, (argv: string[], io: CliIo) => Promise<number>> = {
  verify: auditVerify,
  export: auditExport,
  report: auditReport,
  show: auditShow,
};

/** Runs `audit …`; returns the exit code. Usage errors print here and return 2; others propagate. */
export async function runAudit(argv: readonly string[], io: CliIo = processIo()): Promise<number> {
  const [name, ...rest] = argv;
  const command = name !== undefined && Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  const ignore = (): void => undefined; // write() reports stream errors; without a listener they would crash the process
  io.stdout.on('error', ignore);
  try {
    if (command === undefined) throw new AuditUsageError(`usage: residency-gate audit verify|export|report|show …\n\n${AUDIT_HELP}`);
    return await command(rest, io);
  } catch (err) {
    if (isClosedPipe(err)) return 0;
    if (err instanceof AuditUsageError || String((err as { code?: unknown }).code).startsWith('ERR_PARSE_ARGS')) {
      io.stderr.write(`residency-gate audit: ${(err as Error).message}\n`);
      return 2;
    }
    throw err;
  } finally {
    io.stdout.off('error', ignore);
  }
}
