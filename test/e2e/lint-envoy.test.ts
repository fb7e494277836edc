// lint-envoy is about what Envoy would do with a config it accepts, not about syntax: every config
// the lint tests flag (test/fixtures/envoy/*.yaml and test/unit/lint/cases.ts) is valid for the
// pinned Envoy. And the command as users run it, through src/cli/main.ts in a child process.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { stringify } from 'yaml';
import { validateEnvoyConfig, validateEnvoyConfigText } from '../support/envoy.js';
import { CASES } from '../unit/lint/cases.js';
import { FIXTURES, fixtureNames, POLICY_FILE, ROOT } from '../unit/lint/support.js';

function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { cwd: ROOT }, (err, stdout, stderr) => {
      resolve({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : -1, stdout, stderr });
    });
  });
}

describe.concurrent('Envoy accepts every config lint-envoy flags', () => {
  const envoyBin = inject('envoyBin');

  it.each(fixtureNames())('test/fixtures/envoy/%s', async (name) => {
    const result = await validateEnvoyConfig(envoyBin, join(FIXTURES, name));
    expect(result.ok, result.output).toBe(true);
  });

  it.each(CASES.map((c) => [c.name, c] as const))('case: %s', async (_name, c) => {
    const result = await validateEnvoyConfigText(envoyBin, stringify(c.config));
    expect(result.ok, result.output).toBe(true);
  });
});

describe('residency-gate lint-envoy (CLI)', () => {
  it('envoy/envoy.yaml with a policy: clean, exit 0', async () => {
    const r = await cli('lint-envoy', 'envoy/envoy.yaml', '--policy', POLICY_FILE);
    expect(r).toEqual({ code: 0, stdout: '', stderr: 'lint-envoy: 1 file(s), 0 error(s), 0 warning(s)\n' });
  });

  it('a bad config: its findings, exit 1', async () => {
    const file = 'test/fixtures/envoy/route-region-mismatch.yaml';
    const r = await cli('lint-envoy', file);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe(
      `${file}: static_resources.listeners[0].filter_chains[0].filters[0].typed_config.route_config.virtual_hosts[0].routes[1].route.cluster: route-region-mismatch: error: route "/us/" in virtual host "all" pins residency.region us-east-1, but sends it to cluster "upstream_eu", which has endpoints in eu-west-1\n`,
    );
  });

  it('usage problems exit 2, and --help lists the command', async () => {
    expect((await cli('lint-envoy')).code).toBe(2);
    expect((await cli('--help')).stdout).toContain('residency-gate lint-envoy FILE… [--policy CONFIG] [--json] [--strict]');
  });
});
