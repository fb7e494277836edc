// The command line as operators and scripts use it: --help lists every command with an example,
// validate --json, token mint refusing production configs, one-line errors with their exit codes.
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { cli } from '../support/cli.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

async function exampleWith(change: (doc: Record<string, unknown>) => void): Promise<string> {
  const { parse } = await import('yaml');
  const doc = parse(await readFile(join(ROOT, 'config/example.yaml'), 'utf8')) as Record<string, unknown>;
  change(doc);
  const file = join(ROOT, 'config', `.test-${process.pid}-${Math.random().toString(36).slice(2)}.yaml`);
  await writeFile(file, stringify(doc));
  return file;
}

describe('residency-gate CLI', () => {
  it('--help lists every command with an example', async () => {
    const r = await cli('--help');
    expect(r.code).toBe(0);
    for (const command of ['serve', 'validate', 'token mint', 'audit verify', 'audit export', 'audit report', 'audit show']) {
      expect(r.stdout).toContain(`residency-gate ${command}`);
    }
    expect(r.stdout).toContain('--workers N');
    expect(r.stdout.match(/Example: /g)?.length).toBeGreaterThanOrEqual(4);
  });

  it('validate --json prints the problems as JSON and exits 1', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rg-cli-'));
    const bad = join(dir, 'bad.yaml');
    await writeFile(bad, 'server: { listen: nowhere }\nadmin: { listen: "x" }\n');
    const r = await cli('validate', bad, '--json');
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout) as { valid: boolean; problems: Array<{ path: string }> };
    expect(out.valid).toBe(false);
    expect(out.problems.map((p) => p.path)).toEqual(expect.arrayContaining(['server.listen', 'admin.listen', 'identity']));
    const ok = await cli('validate', 'config/example.yaml', '--json');
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout)).toEqual({ file: 'config/example.yaml', valid: true, problems: [] });
  });

  it('token mint signs for the demo config, and refuses a config without demo: true or an issuer with remote keys', async () => {
    const ok = await cli('token', 'mint', '--region', 'eu-west-1');
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/^eyJ[\w-]+\.[\w-]+\.[\w-]+\n$/);

    const production = await exampleWith((doc) => delete doc.demo);
    const refused = await cli('token', 'mint', '--region', 'eu-west-1', '--config', production);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^residency-gate: .* is not a demo config \(no "demo: true"\); token mint signs for demo configs only\n$/);

    const remote = await exampleWith((doc) => {
      const issuers = (doc.identity as { issuers: Array<Record<string, unknown>> }).issuers;
      for (const i of issuers) i.jwks = { url: 'https://login.example.com/keys' };
    });
    const noLocal = await cli('token', 'mint', '--region', 'eu-west-1', '--config', remote);
    expect(noLocal.code).toBe(1);
    expect(noLocal.stderr).toMatch(/has no issuer with a local jwks\.file/);

    const unknownRegion = await cli('token', 'mint', '--region', 'mars-1');
    expect(unknownRegion.code).toBe(2);
    expect(unknownRegion.stderr.trim().split('\n')).toHaveLength(1);
    await Promise.all([production, remote].map((f) => import('node:fs/promises').then((fs) => fs.unlink(f))));
  });

  it('usage errors are one line and exit 2', async () => {
    const r = await cli('serve', '--workers', 'many');
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('residency-gate: --workers expects a whole number from 1 to 256\n');
  });
});
