// Each lint-envoy rule on small changes to test/fixtures/envoy/clean.yaml (cases.ts): exactly
// which rules fire, with which severity, where. Envoy accepts every case: test/e2e/lint-envoy.test.ts.
import { describe, expect, it } from 'vitest';
import { lintEnvoy, NotABootstrapError } from '../../../src/lint/index.js';
import { CASES } from './cases.js';
import { lint, loadFixture, testPolicy } from './support.js';

describe('lint-envoy rules', () => {
  it.each(CASES.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    expect(lint(c.config, c.policy ? await testPolicy() : undefined)).toEqual(c.expected);
  });

  it('reports nothing on clean.yaml, with or without the policy', async () => {
    expect(lint(loadFixture('clean.yaml'))).toEqual([]);
    expect(lint(loadFixture('clean.yaml'), await testPolicy())).toEqual([]);
  });

  it('refuses what is not a bootstrap', () => {
    expect(() => lintEnvoy(['a'])).toThrow(NotABootstrapError);
    expect(() => lintEnvoy({ apiVersion: 'networking.istio.io/v1alpha3', kind: 'EnvoyFilter' })).toThrow(/neither static_resources nor dynamic_resources/);
  });

  it('does not trip over missing or mistyped sections', () => {
    const odd = { static_resources: { listeners: [null, 'x', { filter_chains: [{ filters: [{ name: 'envoy.filters.network.http_connection_manager' }] }] }], clusters: [{}, { name: 'c' }] } };
    expect(lint(odd).map(([rule]) => rule)).toEqual(['ext-authz-missing', 'ext-proc-missing']);
  });

  it('ext-proc-stream-resets says what happens and what to add', () => {
    const config = loadFixture('ext-proc-stream-resets.yaml');
    expect(lintEnvoy(config).map((f) => f.message)).toEqual([
      'ext_proc "envoy.filters.http.ext_proc" (listener "ingress", filter chain 0) runs without envoy.reloadable_features.ext_proc_graceful_grpc_close: ' +
        "Envoy resets every ext_proc stream (RST_STREAM) when its HTTP exchange ends; under sustained load the gRPC server's HTTP/2 stack answers the resets with GOAWAY, " +
        'and the requests in flight on that connection fail with 403; ' +
        'add layered_runtime: { layers: [ { name: static, static_layer: { envoy.reloadable_features.ext_proc_graceful_grpc_close: true } } ] } (as in envoy/envoy.yaml)',
    ]);
    // Envoy's layering: the last layer that sets the flag decides.
    config.layered_runtime = {
      layers: [
        { name: 'turned-on', static_layer: { 'envoy.reloadable_features.ext_proc_graceful_grpc_close': true } },
        { name: 'turned-off', static_layer: { 'envoy.reloadable_features.ext_proc_graceful_grpc_close': 'false' } },
      ],
    };
    const [finding] = lintEnvoy(config);
    expect(finding?.path).toBe('layered_runtime.layers[1].static_layer["envoy.reloadable_features.ext_proc_graceful_grpc_close"]');
    expect(finding?.message).toMatch(/runs, but the last static runtime layer that sets envoy\.reloadable_features\.ext_proc_graceful_grpc_close sets it to "false": Envoy resets .*; set it to true$/);
  });

  it('says why in each message, naming the filter, route or cluster', () => {
    const c = CASES.find((x) => x.name.startsWith('a pinned route mirrored'))!;
    const [finding] = lintEnvoy(c.config);
    expect(finding?.message).toBe('route "/eu/" in virtual host "all" pins residency.region eu-west-1, but mirrors it to cluster "upstream_us", which has endpoints in us-east-1');
  });
});
