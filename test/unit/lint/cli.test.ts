// `residency-gate lint-envoy` in-process (src/cli/lint-envoy.ts): output formats, exit codes,
// --policy, --strict, and the files it cannot lint. test/e2e/lint-envoy.test.ts runs it through
// src/cli/main.ts as a child process.
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { runLintEnvoy } from '../../../src/cli/lint-envoy.js';
import { F, FIXTURES, HCM, loadFixture, POLICY_FILE, ROOT } from './support.js';

async function run(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const out: string[] = [];
  const err: string[] = [];
  stdout.on('data', (d: Buffer) => out.push(d.toString()));
  stderr.on('data', (d: Buffer) => err.push(d.toString()));
  const code = await runLintEnvoy(args, { stdout, stderr });
  return { code, stdout: out.join(''), stderr: err.join('') };
}

const fixture = (name: string): string => join(FIXTURES, name);

describe('residency-gate lint-envoy', () => {
  it('prints one line per finding, FILE: PATH: RULE: SEVERITY: MESSAGE, and exits 1 on an error', async () => {
    const file = fixture('failure-mode-allow.yaml');
    const r = await run(file);
    expect(r.code).toBe(1);
    expect(r.stdout.split('\n')).toEqual([
      `${file}: ${F(0)}.typed_config.failure_mode_allow: failure-mode-allow: error: ext_authz "envoy.filters.http.ext_authz" fails open: when residency-gate is down, slow or errs, requests pass without a residency decision`,
      `${file}: ${F(1)}.typed_config.failure_mode_allow: failure-mode-allow: error: ext_proc "envoy.filters.http.ext_proc" fails open: when residency-gate is down or errs mid-stream, bodies pass unmasked and unhashed`,
      '',
    ]);
    expect(r.stderr).toBe('lint-envoy: 1 file(s), 2 error(s), 0 warning(s)\n');
  });

  it('exits 0 with nothing on stdout for a clean file', async () => {
    const r = await run(fixture('clean.yaml'), '--policy', POLICY_FILE);
    expect(r).toEqual({ code: 0, stdout: '', stderr: 'lint-envoy: 1 file(s), 0 error(s), 0 warning(s)\n' });
  });

  it('passes warnings alone, unless --strict', async () => {
    const file = fixture('rbac-guard-missing.yaml');
    const plain = await run(file);
    expect(plain.code).toBe(0);
    expect(plain.stdout).toMatch(/^.*: rbac-guard-missing: warning: /);
    const strict = await run(file, '--strict');
    expect(strict.code).toBe(1);
    expect(strict.stderr).toBe('lint-envoy: 1 file(s), 0 error(s), 1 warning(s) (--strict: warnings fail)\n');
  });

  it('--json: every file with its findings and counts', async () => {
    const a = fixture('clean.yaml');
    const b = fixture('per-route-disabled.yaml');
    const r = await run('--json', a, b);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('');
    const report = JSON.parse(r.stdout) as { errors: number; warnings: number; files: Array<{ file: string; errors: number; warnings: number; findings: Array<Record<string, string>> }> };
    expect(report.errors).toBe(1);
    expect(report.warnings).toBe(1);
    expect(report.files.map((f) => [f.file, f.errors, f.warnings])).toEqual([[a, 0, 0], [b, 1, 1]]);
    expect(report.files[1]!.findings[0]).toEqual({
      rule: 'per-route-disabled',
      severity: 'error',
      path: `${HCM}.route_config.virtual_hosts[0].routes[0].typed_per_filter_config["envoy.filters.http.ext_authz"].disabled`,
      message: 'route "/eu/" in virtual host "all" switches ext_authz off: requests there reach their upstream without a residency decision',
    });
  });

  it('--policy: targets and reroute keys come from a residency-gate config', async () => {
    const file = fixture('reroute-route-missing.yaml');
    expect((await run(file)).stdout).toBe('');
    const r = await run(file, '--policy', POLICY_FILE);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(': reroute-route-missing: warning: the policy reroutes to llm-eu (target llm, eu-west-1), llm-us (target llm, us-east-1)');
  });

  it('reads JSON bootstraps', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rg-lint-'));
    const file = join(dir, 'envoy.json');
    await writeFile(file, JSON.stringify(loadFixture('observability-mode.yaml')));
    const r = await run(file);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe(`${file}: ${F(1)}.typed_config.observability_mode: observability-mode: error: ext_proc "envoy.filters.http.ext_proc" is in observability_mode: Envoy ignores residency-gate's answers, so nothing is masked and no block is enforced\n`);
  });

  it('exits 2 on what it cannot lint: no file, a missing or broken file, not a bootstrap, a bad policy, a bad option', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rg-lint-'));
    const broken = join(dir, 'broken.yaml');
    await writeFile(broken, 'static_resources:\n  listeners: [\n');
    const badPolicy = join(dir, 'policy.yaml');
    await writeFile(badPolicy, stringify({ policy: { regions: [] } }));
    const cases: Array<[string[], RegExp]> = [
      [[], /name an Envoy bootstrap file/],
      [[join(dir, 'missing.yaml')], /missing\.yaml: ENOENT/],
      [[broken], /broken\.yaml: line \d+: /],
      [[join(ROOT, 'envoy/istio/ext-proc-envoyfilter.yaml')], /not an Envoy bootstrap: it has neither static_resources nor dynamic_resources/],
      [[fixture('clean.yaml'), '--policy', badPolicy], /--policy .*policy\.yaml: \d+ problem\(s\)/],
      [[fixture('clean.yaml'), '--fix'], /Unknown option '--fix'/],
    ];
    for (const [args, message] of cases) {
      const r = await run(...args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr, args.join(' ')).toMatch(/^residency-gate lint-envoy: /);
      expect(r.stderr, args.join(' ')).toMatch(message);
      expect(r.stdout).toBe('');
    }
  });

  it('--help', async () => {
    const r = await run('--help');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('residency-gate lint-envoy FILE… [--policy CONFIG] [--json] [--strict]');
  });
});
