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

  it('says why in each message, naming the filter, route or cluster', () => {
    const c = CASES.find((x) => x.name.startsWith('a pinned route mirrored'))!;
    const [finding] = lintEnvoy(c.config);
    expect(finding?.message).toBe('route "/eu/" in virtual host "all" pins residency.region eu-west-1, but mirrors it to cluster "upstream_us", which has endpoints in us-east-1');
  });
});
