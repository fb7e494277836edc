import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../../src/config/load.js';
import { defaultConfigPath } from '../../../src/cli/package-root.js';

async function problemsOf(yaml: string): Promise<string[]> {
  const dir = await mkdtemp(join(tmpdir(), 'rg-config-'));
  const file = join(dir, 'c.yaml');
  await writeFile(file, yaml);
  try {
    await loadConfig(file);
    return [];
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    return err.problems.map((p) => `${p.path}: ${p.message}`);
  }
}

describe('loadConfig', () => {
  it('loads the example config, fills defaults, resolves paths and freezes it', async () => {
    const config = await loadConfig(defaultConfigPath());
    expect(config.server.listen).toBe('127.0.0.1:9191');
    expect(config.identity.max_token_bytes).toBe(8192);
    expect(config.identity.issuers[0]?.jwks.file).toMatch(/config\/example\/jwks\.json$/);
    expect(config.audit.file).toMatch(/\/var\/audit\.jsonl$/);
    expect(Object.isFrozen(config.policy.targets)).toBe(true);
  });

  it('reports every problem with its path, together', async () => {
    const problems = await problemsOf(`
identity:
  issuers:
    - issuer: a
      audience: x
      jwks: { file: k.json, url: "https://x" }
      algorithms: [none]
policy:
  regions: [eu-west-1]
  targets:
    - { name: t, region: us-east-1, authorty: x }
audit: {}
`);
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^identity\.issuers\[0\]\.jwks: name exactly one/),
        expect.stringMatching(/^identity\.issuers\[0\]\.algorithms\[0\]: /),
        expect.stringMatching(/^policy\.targets\[0\]: .*authorty/),
        expect.stringMatching(/^audit\.file: /),
      ]),
    );
  });

  it('rejects a target in an undeclared region and a duplicate issuer', async () => {
    const problems = await problemsOf(`
identity:
  issuers:
    - { issuer: a, audience: x, jwks: { file: k.json } }
    - { issuer: a, audience: y, jwks: { file: k.json } }
policy:
  regions: [eu-west-1]
  targets: [{ name: t, region: us-east-1 }]
audit: { file: a.jsonl }
`);
    expect(problems).toEqual(['policy.targets[0].region: unknown region "us-east-1"; declare it in policy.regions', 'identity.issuers[1].issuer: duplicate of identity.issuers[0]']);
  });

  it('reports YAML syntax errors and duplicate keys with their line', async () => {
    expect((await problemsOf('audit:\n  file: a\n  file: b\n'))[0]).toMatch(/^line 3: /);
    expect((await problemsOf('a: [\n'))[0]).toMatch(/^line \d+: /);
  });
});
