// `residency-gate audit verify FILES… [--key JWK] [--max-uncovered N] [--json]`: exit 0 when the
// trail verifies (warnings such as a torn last line allowed), 1 with the first bad file:line and
// why, 2 on a usage error.
import { basename } from 'node:path';
import { parseArgs } from 'node:util';
import { loadVerifyKeys } from '../../audit/checkpoint.js';
import { verifyTrail, type VerifyReport } from '../../audit/verify.js';
import { AuditUsageError, formatCount, trailFiles, write, type CliIo } from './io.js';

export async function auditVerify(argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { key: { type: 'string' }, json: { type: 'boolean' }, 'max-uncovered': { type: 'string' } },
  });
  const files = await trailFiles(positionals);
  const maxUncovered = values['max-uncovered'] === undefined ? undefined : Number(values['max-uncovered']);
  if (maxUncovered !== undefined && (!Number.isInteger(maxUncovered) || maxUncovered < 0)) throw new AuditUsageError('--max-uncovered expects a whole number');
  if (maxUncovered !== undefined && values.key === undefined) throw new AuditUsageError('--max-uncovered needs --key: only signed checkpoints count');
  const verifier = values.key === undefined ? undefined : await loadVerifyKeys(values.key);
  // Progress only where a person is watching; a pipe or a CI log gets the result alone.
  const onProgress = io.stderr.isTTY === true ? (file: string, line: number) => io.stderr.write(`\rverifying ${basename(file)}: line ${formatCount(line)}…`) : undefined;
  const report = await verifyTrail(files, { verifier, maxUncovered, onProgress });
  if (onProgress) io.stderr.write('\r\x1b[K');
  await write(io.stdout, values.json === true ? `${JSON.stringify(report, null, 2)}\n` : describe(report, verifier !== undefined));
  return report.ok ? 0 : 1;
}

function describe(report: VerifyReport, keyGiven: boolean): string {
  if (report.chains !== undefined) {
    // One chain per worker: each reported as a trail of its own.
    const head = report.ok ? `OK: ${report.chains.length} chains` : `FAILED: ${report.problem?.file}:${report.problem?.line}: ${report.problem?.reason}: ${report.problem?.message}`;
    const chains = report.chains.map((c, i) => `chain ${i + 1}:\n${describe(c, keyGiven).trimEnd().replace(/^/gm, '  ')}\n`);
    const inChains = new Set(report.chains.flatMap((c) => c.warnings));
    const rest = report.warnings.filter((w) => !inChains.has(w)).map((w) => `warning: ${w.file === undefined ? '' : `${w.file}: `}${w.message}\n`);
    return `${head}\n${chains.join('')}${rest.join('')}`;
  }
  const out: string[] = [];
  const range = report.firstSeq === null ? 'no records' : `seq ${formatCount(report.firstSeq)}–${formatCount(report.lastSeq ?? report.firstSeq)}`;
  const signatures = keyGiven ? `${report.signedCheckpoints} signature(s) verified` : 'signatures not checked (no --key)';
  if (report.problem === null) {
    out.push(`OK: ${formatCount(report.records)} record(s), ${range}, in ${report.files.length} file(s); ${report.checkpoints} checkpoint(s), ${signatures}`);
  } else {
    const p = report.problem;
    out.push(`FAILED: ${p.file}:${p.line}: ${p.reason}: ${p.message}`);
    out.push(`  ${formatCount(report.records)} record(s) verified before it (${range})`);
  }
  for (const f of report.files) {
    const seqs = f.firstSeq === null ? 'no whole record' : `seq ${formatCount(f.firstSeq)}–${formatCount(f.lastSeq ?? f.firstSeq)}`;
    out.push(`  ${f.file}: ${seqs}`);
  }
  if (report.problem === null && report.checkpoints > 0) out.push(`  not covered by a checkpoint yet: ${formatCount(report.uncovered)} record(s)`);
  for (const w of report.warnings) {
    const where = w.file === undefined ? '' : `${w.file}${w.line === undefined ? '' : `:${w.line}`}: `;
    out.push(`warning: ${where}${w.message}`);
  }
  return `${out.join('\n')}\n`;
}
