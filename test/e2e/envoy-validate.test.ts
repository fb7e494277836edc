// The shipped Envoy configs are valid for the pinned Envoy, and the ext_authz settings really fail
// closed: with residency-gate unreachable, nothing reaches an upstream.
import { readdirSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startEnvoy, validateEnvoyConfig, validateEnvoyConfigText, type RunningEnvoy } from '../support/envoy.js';
import { ENVOY_DEFAULT_PORTS, ENVOY_YAML_PATH, renderEnvoyConfig } from '../support/envoy-config.js';
import { rawRequest } from '../support/http.js';
import { freePort } from '../support/ports.js';
import { startRecordingUpstream, type RecordingUpstream } from '../support/upstream.js';

const envoyDir = dirname(ENVOY_YAML_PATH);
const envoyFiles = readdirSync(envoyDir)
  .filter((f) => f.endsWith('.yaml'))
  .sort()
  .map((f) => join(envoyDir, f));

describe('Envoy configs validate with the pinned Envoy', () => {
  const envoyBin = inject('envoyBin');

  it('finds the config files', () => {
    expect(envoyFiles).toContain(ENVOY_YAML_PATH);
  });

  it.each(envoyFiles.map((f) => [relative(join(envoyDir, '..'), f), f]))('%s', async (_name, file) => {
    const result = await validateEnvoyConfig(envoyBin, file);
    expect(result.ok, result.output).toBe(true);
  });

  it('the rendered test config', async () => {
    const config = renderEnvoyConfig({ listenerPort: 0, adminPort: 0, authzPort: 19191, upstreams: { eu: 18081, us: 18082 } });
    const result = await validateEnvoyConfigText(envoyBin, config);
    expect(result.ok, result.output).toBe(true);
  });
});

describe('renderEnvoyConfig', () => {
  it('rewrites exactly the ports and the listener address', () => {
    const config = renderEnvoyConfig({ listenerPort: 11111, adminPort: 22222, authzPort: 33333, upstreams: { eu: 44444, us: 55555 } });
    for (const port of [11111, 22222, 33333, 44444, 55555]) expect(config).toContain(`port_value: ${port}`);
    for (const port of Object.values(ENVOY_DEFAULT_PORTS)) expect(config).not.toContain(`port_value: ${port}`);
    expect(config).not.toContain('0.0.0.0');
    expect(config).toContain('failure_mode_allow: false');
  });

  it('refuses an ext_proc port when the file has no ext_proc cluster', () => {
    expect(() => renderEnvoyConfig({ listenerPort: 0, adminPort: 0, authzPort: 1, upstreams: { eu: 2, us: 3 }, extProcPort: 4 })).toThrow(
      /no entry named residency_gate_ext_proc/,
    );
  });
});

describe('fail closed: residency-gate unreachable', () => {
  let eu: RecordingUpstream;
  let us: RecordingUpstream;
  let envoy: RunningEnvoy;
  let base: string;

  beforeAll(async () => {
    eu = await startRecordingUpstream('eu');
    us = await startRecordingUpstream('us');
    // A port that was free a moment ago: nothing listens there, so every Check call fails.
    const authzPort = await freePort();
    envoy = await startEnvoy({
      envoyBin: inject('envoyBin'),
      config: renderEnvoyConfig({ listenerPort: 0, adminPort: 0, authzPort, upstreams: { eu: eu.port, us: us.port } }),
    });
    base = `http://127.0.0.1:${envoy.listenerPort}`;
  });

  afterAll(async () => {
    await envoy?.stop();
    await Promise.all([eu?.close(), us?.close()]);
  });

  it.each(['/eu/x', '/us/x', '/other'])('GET %s answers 403 and reaches no upstream', async (path) => {
    const before = (await envoy.stat('http.ingress_http.ext_authz.error')) ?? 0;
    const res = await fetch(`${base}${path}`);
    expect(res.status, envoy.logs()).toBe(403);
    await res.arrayBuffer();
    expect(eu.requests).toEqual([]);
    expect(us.requests).toEqual([]);
    // The 403 came from the ext_authz failure path, not from a route or an upstream.
    expect(await envoy.stat('http.ingress_http.ext_authz.error')).toBe(before + 1);
  });

  it('POST with a body is refused too', async () => {
    const res = await fetch(`${base}/eu/records`, { method: 'POST', body: '{"name":"x"}', headers: { 'content-type': 'application/json' } });
    expect(res.status).toBe(403);
    await res.arrayBuffer();
    expect(eu.requests).toEqual([]);
  });
});

// Control for the test above: the same config with only failure_mode_allow flipped (on ext_authz
// and ext_proc) lets the requests through. This shows that the 403s come from that setting (not
// from broken wiring), that the renderer's ports and the routes are right, and that Envoy replaces
// a client's x-request-id.
describe('control: the same config failing open', () => {
  let eu: RecordingUpstream;
  let us: RecordingUpstream;
  let envoy: RunningEnvoy;
  let base: string;

  beforeAll(async () => {
    eu = await startRecordingUpstream('eu');
    us = await startRecordingUpstream('us');
    const rendered = renderEnvoyConfig({ listenerPort: 0, adminPort: 0, authzPort: await freePort(), upstreams: { eu: eu.port, us: us.port } });
    const failOpen = rendered.replaceAll('failure_mode_allow: false', 'failure_mode_allow: true');
    expect(failOpen).not.toBe(rendered);
    envoy = await startEnvoy({ envoyBin: inject('envoyBin'), config: failOpen });
    base = `http://127.0.0.1:${envoy.listenerPort}`;
  });

  afterAll(async () => {
    await envoy?.stop();
    await Promise.all([eu?.close(), us?.close()]);
  });

  it.each([
    ['/eu/x', 'eu'],
    ['/us/x', 'us'],
    ['/other', 'eu'],
  ] as const)('GET %s reaches upstream %s', async (path, name) => {
    eu.requests.length = 0;
    us.requests.length = 0;
    const res = await fetch(`${base}${path}`, { headers: { 'x-request-id': 'chosen-by-client' } });
    expect(res.status, envoy.logs()).toBe(200);
    expect(await res.json()).toEqual({ upstream: name, path });
    const [hit, miss] = name === 'eu' ? [eu, us] : [us, eu];
    expect(hit.requests).toHaveLength(1);
    expect(miss.requests).toEqual([]);
    const requestId = hit.requests[0]!.headers['x-request-id'];
    expect(requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(requestId).not.toBe('chosen-by-client');
  });

  // Routes pick the residency target, so the path is normalized before routing: the route (and
  // the context_extensions residency-gate sees) match the path the upstream serves.
  it.each(['/eu/../us/x', '/eu/..//us/x', '/eu/./../us/x'])('routes %s as /us/x', async (path) => {
    eu.requests.length = 0;
    us.requests.length = 0;
    const res = await rawRequest({ port: envoy.listenerPort!, path });
    expect(res.status, res.text()).toBe(200);
    expect(us.requests.map((r) => r.path)).toEqual(['/us/x']);
    expect(eu.requests).toEqual([]);
  });

  it.each(['/eu%2F..%2Fus/x', '/eu/%2e%2e%5Cus/x'])('rejects escaped slashes in %s', async (path) => {
    eu.requests.length = 0;
    us.requests.length = 0;
    const res = await rawRequest({ port: envoy.listenerPort!, path });
    expect(res.status).toBe(400);
    expect([...eu.requests, ...us.requests]).toEqual([]);
  });
});
