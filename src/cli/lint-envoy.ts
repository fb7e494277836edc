// `residency-gate lint-envoy FILE… [--policy CONFIG] [--json] [--strict]`: reads Envoy bootstraps
// (YAML or JSON) and prints what in them can move data across regions or let it through unchecked
// (src/lint, docs/lint-envoy.md). Exit 0: no errors (warnings alone pass unless --strict);
// 1: an error (or, with --strict, a warning); 2: a usage problem or a file that cannot be read.
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { parseDocument } from 'yaml';
import { ConfigError, loadConfig } from '../config/load.js';
import { lintEnvoy, lintPolicyOf, NotABootstrapError, type Finding, type LintPolicy } from '../lint/index.js';
import { isClosedPipe, processIo, write, type CliIo } from './audit/io.js';

export const LINT_ENVOY_HELP = `  residency-gate lint-envoy FILE… [--policy CONFIG] [--json] [--strict]
      Check Envoy bootstraps (YAML or JSON) for settings that let data cross regions or pass
      unchecked: one line per finding, FILE: PATH: RULE: error|warning: MESSAGE. Exit 1 on any
      error (with --strict, on any warning too). --policy maps routes' targets and clusters'
      locality regions through a residency-gate config. Rules: docs/lint-envoy.md.
      Example: residency-gate lint-envoy envoy/envoy.yaml --policy config/example.yaml
`;

class LintUsageError extends Error {}

interface FileResult {
  readonly file: string;
  readonly findings: readonly Finding[];
}

/** Parses YAML or JSON (JSON is YAML), with merge keys as Envoy accepts them. */
export function parseBootstrap(text: string): unknown {
  const doc = parseDocument(text, { merge: true, prettyErrors: true });
  const [error] = doc.errors;
  if (error !== undefined) {
    const line = error.linePos?.[0]?.line;
    throw new LintUsageError(`${line === undefined ? '' : `line ${line}: `}${error.message.split('\n')[0] ?? error.code}`);
  }
  return doc.toJS();
}

async function lintFile(file: string, policy: LintPolicy | undefined): Promise<FileResult> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new LintUsageError(`${file}: ${(err as Error).message}`);
  }
  try {
    return { file, findings: lintEnvoy(parseBootstrap(text), { policy }) };
  } catch (err) {
    if (err instanceof LintUsageError || err instanceof NotABootstrapError) throw new LintUsageError(`${file}: ${err.message}`);
    throw err;
  }
}

const count = (findings: readonly Finding[], severity: Finding['severity']): number => findings.filter((f) => f.severity === severity).length;

/** Runs `lint-envoy …` (the arguments after the command name); returns the exit code. */
export async function runLintEnvoy(argv: readonly string[], io: CliIo = processIo()): Promise<number> {
  const ignore = (): void => undefined; // write() reports stream errors; without a listener they would crash the process
  io.stdout.on('error', ignore);
  // Known before printing, so that a reader that goes away (`| head`) does not change it.
  let code: number | undefined;
  try {
    const { values, positionals } = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: { json: { type: 'boolean' }, strict: { type: 'boolean' }, policy: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    });
    if (values.help) {
      await write(io.stdout, LINT_ENVOY_HELP);
      return 0;
    }
    if (positionals.length === 0) throw new LintUsageError(`name an Envoy bootstrap file\n\n${LINT_ENVOY_HELP}`);
    let policy: LintPolicy | undefined;
    if (values.policy !== undefined) {
      try {
        policy = lintPolicyOf((await loadConfig(values.policy)).policy);
      } catch (err) {
        if (err instanceof ConfigError) throw new LintUsageError(`--policy ${err.message}`);
        throw err;
      }
    }
    const results: FileResult[] = [];
    for (const file of positionals) results.push(await lintFile(file, policy));
    const all = results.flatMap((r) => r.findings);
    const errors = count(all, 'error');
    const warnings = count(all, 'warning');
    code = errors > 0 || (values.strict === true && warnings > 0) ? 1 : 0;
    if (values.json) {
      const files = results.map((r) => ({ file: r.file, errors: count(r.findings, 'error'), warnings: count(r.findings, 'warning'), findings: r.findings }));
      await write(io.stdout, `${JSON.stringify({ errors, warnings, files }, null, 2)}\n`);
    } else {
      for (const r of results) {
        for (const f of r.findings) await write(io.stdout, `${r.file}: ${f.path}: ${f.rule}: ${f.severity}: ${f.message}\n`);
      }
      io.stderr.write(`lint-envoy: ${results.length} file(s), ${errors} error(s), ${warnings} warning(s)${values.strict && warnings > 0 && errors === 0 ? ' (--strict: warnings fail)' : ''}\n`);
    }
    return code;
  } catch (err) {
    if (isClosedPipe(err) && code !== undefined) return code;
    if (err instanceof LintUsageError || String((err as { code?: unknown }).code).startsWith('ERR_PARSE_ARGS')) {
      io.stderr.write(`residency-gate lint-envoy: ${(err as Error).message}\n`);
      return 2;
    }
    throw err;
  } finally {
    io.stdout.off('error', ignore);
  }
}
