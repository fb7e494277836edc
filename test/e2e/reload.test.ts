// A config reload under load through real Envoy: a valid change applies without a failed request;
// an invalid file keeps the running policy and says why.
import { writeFile } from 'node:fs/promises';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { rawTestConfig } from '../support/config.js';
import { startEnvoy, type RunningEnvoy } from '../support/envoy.js';
import { renderEnvoyConfig } from '../support/envoy-config.js';
import { rawRequest } from '../support/http.js';
import { createTestIssuer, type TestIssuer } from '../support/issuer.js';
import { startResidencyGate, type RunningGate } from '../support/residency-gate.js';
import { startRecordingUpstream, type RecordingUpstream } from '../support/upstream.js';

let issuer: TestIssuer;
let gate: RunningGate;
let envoy: RunningEnvoy;
let eu: RecordingUpstream;
let us: RecordingUpstream;
let raw: Record<string, Record<string, unknown>>;
let token: string;

beforeAll(async () => {
  issuer = await createTestIssuer();
  raw = rawTestConfig(issuer, join(await mkdtemp(join(tmpdir(), 'rg-e2e-reload-')), 'audit.jsonl'), '127.0.0.1:0', 'info') as typeof raw;
  // Two workers: each reloads its own settings; both must end up on the new policy.
  [gate, eu, us] = await Promise.all([startResidencyGate(stringify(raw), { workers: 2 }), startRecordingUpstream('eu'), startRecordingUpstream('us')]);
  envoy = await startEnvoy({ envoyBin: inject('envoyBin'), config: renderEnvoyConfig({ listenerPort: 0, adminPort: 0, authzPort: gate.port, upstreams: { eu: eu.port, us: us.port } }) });
  token = await issuer.mint({ region: 'eu-west-1' }, { expiresIn: '10m' });
});

afterAll(async () => {
  await envoy?.stop();
  await gate?.stop();
  await Promise.all([eu?.close(), us?.close()]);
});

const get = (host: string) => rawRequest({ port: envoy.listenerPort ?? 0, path: '/x', headers: { host, authorization: `Bearer ${token}` } });
const count = (text: string, needle: string) => text.split(needle).length - 1;

async function until(condition: () => boolean, what: string, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}\n${gate.logs().slice(-3000)}`);
    await sleep(50);
  }
}

describe('config reload', () => {
  it('applies a valid change while requests flow, and none of them fails', async () => {
    expect((await get('newly.eu.example.com')).status).toBe(403);
    const statuses: number[] = [];
    let flowing = true;
    const load = Promise.all(
      Array.from({ length: 6 }, async () => {
        while (flowing) statuses.push((await get('crm.eu.example.com')).status);
      }),
    );
    await sleep(300);
    const next = structuredClone(raw);
    (next.policy.targets as unknown[]).push({ name: 'newly-eu', region: 'eu-west-1', authority: 'newly.eu.example.com' });
    await writeFile(gate.configFile, stringify(next));
    await until(() => count(gate.logs(), '"msg":"config reloaded"') >= 2, 'both workers to reload');
    await sleep(300);
    flowing = false;
    await load;
    expect(statuses.length).toBeGreaterThan(20);
    expect(statuses.filter((s) => s !== 200)).toEqual([]);
    for (let i = 0; i < 6; i++) expect((await get('newly.eu.example.com')).status).toBe(200);
  });

  it('keeps the running policy when the new file is invalid, and logs every problem with its path', async () => {
    const before = count(gate.logs(), 'config reload failed');
    await writeFile(gate.configFile, stringify({ ...raw, policy: { regions: [], targets: 'nope' } }));
    await until(() => count(gate.logs(), 'config reload failed') >= before + 2, 'both workers to refuse the file');
    expect(gate.logs()).toContain('"path":"policy.regions"');
    for (let i = 0; i < 6; i++) expect((await get('newly.eu.example.com')).status).toBe(200);
  });

  it('reloads on SIGHUP sent to the primary', async () => {
    const before = count(gate.logs(), 'config reload failed') + count(gate.logs(), '"msg":"config reloaded"');
    gate.process.kill('SIGHUP');
    await until(() => count(gate.logs(), 'config reload failed') + count(gate.logs(), '"msg":"config reloaded"') >= before + 2, 'both workers to reload on SIGHUP');
  });
});
