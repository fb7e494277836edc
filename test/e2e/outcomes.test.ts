// Policy outcomes through a real Envoy running envoy/envoy.yaml: reroute steers to the in-region
// endpoint, allow-masked masks the request body (and is refused where ext_proc does not run), dry
// run passes marked would-deny.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseDocument, stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { rawTestConfig } from '../support/config.js';
import { startEnvoy, type RunningEnvoy } from '../support/envoy.js';
import { renderEnvoyConfig } from '../support/envoy-config.js';
import { rawRequest } from '../support/http.js';
import { createTestIssuer, type TestIssuer } from '../support/issuer.js';
import { outcomesPolicy } from '../support/policies.js';
import { startResidencyGate, type RunningGate } from '../support/residency-gate.js';
import { startRecordingUpstream, type RecordingUpstream } from '../support/upstream.js';

let issuer: TestIssuer;
let gate: RunningGate;
let envoy: RunningEnvoy;
let unmaskedEnvoy: RunningEnvoy;
let failoverEnvoy: RunningEnvoy;
let eu: RecordingUpstream;
let us: RecordingUpstream;

/** The same config with ext_proc switched off on the /eu/ route: the trap allow-masked must not fall into. */
function withoutExtProcOnEu(config: string): string {
  const doc = parseDocument(config);
  const routes = doc.getIn(['static_resources', 'listeners', 0, 'filter_chains', 0, 'filters', 0, 'typed_config', 'route_config', 'virtual_hosts', 0, 'routes']) as { items: Array<{ toJSON(): { match: { prefix: string } } }> };
  const index = routes.items.findIndex((r) => r.toJSON().match.prefix === '/eu/');
  doc.setIn(
    ['static_resources', 'listeners', 0, 'filter_chains', 0, 'filters', 0, 'typed_config', 'route_config', 'virtual_hosts', 0, 'routes', index, 'typed_per_filter_config', 'envoy.filters.http.ext_proc'],
    doc.createNode({ '@type': 'type.googleapis.com/envoy.extensions.filters.http.ext_proc.v3.ExtProcPerRoute', disabled: true }),
  );
  return doc.toString();
}

/** The EU cluster's hosts actually sit in us-east-1 (a failover or a mis-set cluster). */
function euClusterInUs(config: string): string {
  const doc = parseDocument(config);
  const clusters = doc.getIn(['static_resources', 'clusters']) as { items: Array<{ get(k: string): unknown }> };
  const index = clusters.items.findIndex((c) => c.get('name') === 'upstream_eu');
  doc.setIn(['static_resources', 'clusters', index, 'load_assignment', 'endpoints', 0, 'locality'], doc.createNode({ region: 'us-east-1' }));
  return doc.toString();
}

beforeAll(async () => {
  issuer = await createTestIssuer();
  const raw = rawTestConfig(issuer, join(await mkdtemp(join(tmpdir(), 'rg-e2e-outcomes-')), 'audit.jsonl'), '127.0.0.1:0', 'info') as Record<string, unknown>;
  raw.policy = outcomesPolicy();
  raw.masking = { profiles: { pii: { detectors: { email: 'redact' } } } };
  [gate, eu, us] = await Promise.all([startResidencyGate(stringify(raw)), startRecordingUpstream('eu'), startRecordingUpstream('us')]);
  const config = renderEnvoyConfig({ listenerPort: 0, adminPort: 0, authzPort: gate.port, upstreams: { eu: eu.port, us: us.port }, checkTimeout: '5s' });
  [envoy, unmaskedEnvoy, failoverEnvoy] = await Promise.all([
    startEnvoy({ envoyBin: inject('envoyBin'), config }),
    startEnvoy({ envoyBin: inject('envoyBin'), config: withoutExtProcOnEu(config) }),
    startEnvoy({ envoyBin: inject('envoyBin'), config: euClusterInUs(config) }),
  ]);
});

afterAll(async () => {
  await Promise.all([envoy?.stop(), unmaskedEnvoy?.stop(), failoverEnvoy?.stop()]);
  await gate?.stop();
  await Promise.all([eu?.close(), us?.close()]);
});

const as = async (region: string) => ({ authorization: `Bearer ${await issuer.mint({ region })}` });
const seen = (upstream: RecordingUpstream, marker: string) => upstream.requests.filter((r) => r.path.includes(marker));

describe('policy outcomes through Envoy', () => {
  it('reroutes an EU caller of the LLM API to the EU endpoint, and a US caller to the US one', async () => {
    const fromEu = await rawRequest({ port: envoy.listenerPort ?? 0, path: '/llm/chat?m=rr-eu', headers: await as('eu-west-1') });
    const fromUs = await rawRequest({ port: envoy.listenerPort ?? 0, path: '/llm/chat?m=rr-us', headers: await as('us-east-1') });
    expect([fromEu.status, fromUs.status]).toEqual([200, 200]);
    expect(seen(eu, 'rr-eu')).toHaveLength(1);
    expect(seen(us, 'rr-eu')).toHaveLength(0);
    expect(seen(us, 'rr-us')).toHaveLength(1);
    expect(seen(eu, 'rr-eu')[0]?.headers['x-residency-route-region']).toBe('eu-west-1');
  });

  it('ignores a client’s own x-residency-route: the decision picks the endpoint', async () => {
    const res = await rawRequest({ port: envoy.listenerPort ?? 0, path: '/llm/chat?m=rr-spoof', headers: { ...(await as('eu-west-1')), 'x-residency-route': 'llm-us' } });
    expect(res.status).toBe(200);
    expect(seen(eu, 'rr-spoof')).toHaveLength(1);
    expect(seen(us, 'rr-spoof')).toHaveLength(0);
  });

  it('allow-masked: a US caller’s request to the EU CRM reaches it with the PII masked', async () => {
    const res = await rawRequest({
      port: envoy.listenerPort ?? 0, method: 'POST', path: '/eu/notes?m=masked',
      headers: { ...(await as('us-east-1')), 'content-type': 'text/plain' }, body: 'call bob@example.com back',
    });
    expect(res.status).toBe(200);
    const [got] = seen(eu, 'm=masked');
    expect(got?.headers['x-residency-decision']).toBe('allow-masked');
    expect(got?.body.toString()).toBe('call [EMAIL] back');
  });

  it('allow-masked on a route where ext_proc is disabled is refused, and nothing reaches the upstream', async () => {
    const res = await rawRequest({
      port: unmaskedEnvoy.listenerPort ?? 0, method: 'POST', path: '/eu/notes?m=unmasked-route',
      headers: { ...(await as('us-east-1')), 'content-type': 'text/plain' }, body: 'call bob@example.com back',
    });
    expect(res.status).toBe(403);
    // Refused by the rbac guard in envoy.yaml, after residency-gate had said allow-masked.
    expect(res.text()).toBe('RBAC: access denied');
    expect(seen(eu, 'unmasked-route')).toHaveLength(0);
  });

  it('a plain allow still passes on the route without ext_proc', async () => {
    const res = await rawRequest({ port: unmaskedEnvoy.listenerPort ?? 0, path: '/us/report?m=plain', headers: await as('us-east-1') });
    expect(res.status).toBe(200);
    expect(seen(us, 'm=plain')).toHaveLength(1);
  });

  it('dry run: a request a trial rule would deny passes, marked would-deny', async () => {
    const res = await rawRequest({ port: envoy.listenerPort ?? 0, path: '/eu/records?m=dry', headers: await as('eu-west-1') });
    expect(res.status).toBe(200);
    expect(seen(eu, 'm=dry')[0]?.headers['x-residency-decision']).toBe('would-deny');
  });

  it('withholds the answer of a host outside the allowed region (502), though the request reached it', async () => {
    eu.setResponder(() => ({ headers: { 'content-type': 'text/plain' }, body: 'records from the wrong side' }));
    const res = await rawRequest({ port: failoverEnvoy.listenerPort ?? 0, path: '/eu/records?m=failover', headers: await as('eu-west-1') });
    eu.setResponder(undefined);
    expect(res.status).toBe(502);
    expect(JSON.parse(res.text())).toMatchObject({ code: 'RESIDENCY_PATH_VIOLATION' });
    expect(res.text()).not.toContain('wrong side');
    // Detection, not prevention: ext_authz cannot see the host Envoy picks later.
    expect(seen(eu, 'm=failover')).toHaveLength(1);
  });
});
