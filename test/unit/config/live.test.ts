import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { loadChecked } from '../../../src/config/checked.js';
import { LiveSettings } from '../../../src/config/live.js';
import type { TokenVerifier } from '../../../src/identity/types.js';
import { rawTestConfig } from '../../support/config.js';
import { createTestIssuer } from '../../support/issuer.js';

function fakeVerifier(name: string, closed: string[]): TokenVerifier {
  return { verify: () => Promise.reject(new Error(name)), close: () => void closed.push(name) };
}

async function setup() {
  const issuer = await createTestIssuer();
  const dir = await mkdtemp(join(tmpdir(), 'rg-live-'));
  const file = join(dir, 'config.yaml');
  const raw = rawTestConfig(issuer, join(dir, 'audit.jsonl')) as Record<string, Record<string, unknown>>;
  const write = (over: (r: typeof raw) => void = () => undefined) => {
    const copy = structuredClone(raw);
    over(copy);
    return writeFile(file, stringify(copy));
  };
  await write();
  const closed: string[] = [];
  let made = 0;
  const live = new LiveSettings({ ...(await loadChecked(file)), verifier: fakeVerifier('v0', closed) }, async () => fakeVerifier(`v${++made}`, closed));
  return { file, write, live, closed };
}

describe('LiveSettings.reload', () => {
  it('swaps in a valid new policy as a whole, keeping the verifier when identity is unchanged', async () => {
    const { file, write, live, closed } = await setup();
    const before = live.current;
    await write((r) => {
      r.policy.default_target = { name: 'fallback', region: 'eu-west-1' };
    });
    const status = await live.reload(file);
    expect(status).toMatchObject({ ok: true, problems: [] });
    expect(live.current.config.policy.default_target).toEqual({ name: 'fallback', region: 'eu-west-1' });
    expect(live.current.verifier).toBe(before.verifier);
    expect(before.config.policy.default_target).toBeUndefined();
    expect(closed).toEqual([]);
  });

  it('keeps the running settings on an invalid file and reports every problem with its path', async () => {
    const { file, live } = await setup();
    const before = live.current;
    await writeFile(file, 'policy: { regions: [] }\nidentity: {}\n');
    const status = await live.reload(file);
    expect(status.ok).toBe(false);
    expect(status.problems.map((p) => p.path)).toEqual(expect.arrayContaining(['policy.regions', 'audit']));
    expect(live.current).toBe(before);
    expect(live.lastReload).toBe(status);
  });

  it('refuses changes only a restart can apply, and keeps everything running as it was', async () => {
    const { file, write, live } = await setup();
    const before = live.current;
    await write((r) => {
      r.server.listen = '127.0.0.1:1';
      r.policy.default_target = { name: 'fallback', region: 'eu-west-1' };
    });
    const status = await live.reload(file);
    expect(status).toMatchObject({ ok: false, problems: [{ path: 'server' }] });
    expect(live.current).toBe(before);
  });

  it('refuses adding or changing the approvals section: its store and reviewers are built at start', async () => {
    const { file, write, live } = await setup();
    const before = live.current;
    await write((r) => {
      r.approvals = { reviewers: { issuers: [{ issuer: 'https://r.test', audience: 'a', jwks: { file: '/dev/null' }, roles: ['reviewer'] }] } };
    });
    expect(await live.reload(file)).toMatchObject({ ok: false, problems: [{ path: 'approvals' }] });
    expect(live.current).toBe(before);
  });

  it('makes a new verifier when identity changes, and closes the old one after the swap', async () => {
    const { file, write, live, closed } = await setup();
    await write((r) => {
      r.identity.clock_tolerance_seconds = 5;
    });
    expect((await live.reload(file)).ok).toBe(true);
    await expect(live.current.verifier.verify('x')).rejects.toThrow('v1');
    expect(closed).toEqual(['v0']);
  });
});
