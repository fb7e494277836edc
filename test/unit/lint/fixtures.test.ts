// test/fixtures/envoy: one bad config per rule (clean.yaml with one thing wrong), and exactly what
// lint-envoy reports for each, without and with --policy. Envoy accepts every one of these files
// (test/e2e/lint-envoy.test.ts): the lint is about what Envoy would do, not about syntax.
import { describe, expect, it } from 'vitest';
import { RULES, type RuleId } from '../../../src/lint/index.js';
import { C, EXT_AUTHZ, EXT_PROC, F, fixtureNames, HCM, lint, loadFixture, R, testPolicy, VH, type Expected } from './support.js';

const E = (rule: RuleId, path: string): Expected => [rule, 'error', path];
const W = (rule: RuleId, path: string): Expected => [rule, 'warning', path];

/** Fixture -> findings without the policy, and with it where they differ. */
const EXPECTED: Record<string, { plain: readonly Expected[]; policy?: readonly Expected[] }> = {
  'clean.yaml': { plain: [] },
  'failure-mode-allow.yaml': { plain: [E('failure-mode-allow', `${F(0)}.typed_config.failure_mode_allow`), E('failure-mode-allow', `${F(1)}.typed_config.failure_mode_allow`)] },
  'ext-authz-missing.yaml': { plain: [E('ext-authz-missing', `${HCM}.http_filters`)] },
  'ext-proc-missing.yaml': { plain: [W('ext-proc-missing', `${HCM}.http_filters`)] },
  'ext-proc-before-ext-authz.yaml': { plain: [E('ext-proc-before-ext-authz', F(0))] },
  'ext-proc-no-metadata.yaml': { plain: [E('ext-proc-no-metadata', `${F(1)}.typed_config.metadata_options.forwarding_namespaces.untyped`)] },
  'buffered-partial.yaml': {
    plain: [
      E('buffered-partial', `${F(1)}.typed_config.processing_mode.request_body_mode`),
      E('buffered-partial', `${R(1)}.typed_per_filter_config${EXT_PROC}.overrides.processing_mode.response_body_mode`),
    ],
  },
  'body-mode-none.yaml': {
    plain: [E('body-mode-none', `${F(1)}.typed_config.processing_mode.request_body_mode`), E('body-mode-none', `${F(1)}.typed_config.processing_mode.response_body_mode`)],
  },
  'observability-mode.yaml': { plain: [E('observability-mode', `${F(1)}.typed_config.observability_mode`)] },
  'ext-proc-stream-resets.yaml': { plain: [W('ext-proc-stream-resets', 'layered_runtime')] },
  'filter-enabled-fraction.yaml': { plain: [E('filter-enabled-fraction', `${F(0)}.typed_config.filter_enabled`)] },
  'status-on-error.yaml': { plain: [E('status-on-error', `${F(0)}.typed_config.status_on_error.code`)] },
  'per-route-disabled.yaml': {
    plain: [E('per-route-disabled', `${R(0)}.typed_per_filter_config${EXT_AUTHZ}.disabled`), W('per-route-disabled', `${R(1)}.typed_per_filter_config${EXT_PROC}.disabled`)],
  },
  'rbac-guard-missing.yaml': { plain: [W('rbac-guard-missing', `${HCM}.http_filters`)] },
  'clear-route-cache-missing.yaml': { plain: [E('clear-route-cache-missing', `${F(0)}.typed_config.clear_route_cache`)] },
  'cross-region-cluster.yaml': { plain: [E('cross-region-cluster', `${C(3)}.load_assignment.endpoints[1].locality.region`)] },
  'locality-failover.yaml': {
    plain: [E('route-region-mismatch', `${R(0)}.route.cluster`), E('locality-failover', `${C(1)}.load_assignment.endpoints[1].priority`)],
    // The policy says llm's llm-eu endpoint is in eu-west-1: the llm-eu route now fails over too.
    policy: [
      E('route-region-mismatch', `${R(0)}.route.cluster`),
      E('route-region-mismatch', `${R(2)}.route.cluster`),
      E('locality-failover', `${C(1)}.load_assignment.endpoints[1].priority`),
    ],
  },
  'locality-failover-aggregate.yaml': { plain: [E('locality-failover', `${C(3)}.cluster_type.typed_config.clusters[1]`)] },
  'cluster-region-unknown.yaml': { plain: [W('cluster-region-unknown', `${C(2)}.load_assignment.endpoints[0].locality.region`)] },
  'route-region-mismatch.yaml': { plain: [E('route-region-mismatch', `${R(1)}.route.cluster`)] },
  'request-id-from-client.yaml': { plain: [W('request-id-from-client', `${HCM}.preserve_external_request_id`)] },
  'x-residency-header-from-route.yaml': {
    plain: [
      E('x-residency-header-from-route', `${VH}.request_headers_to_add[0].header.key`),
      E('x-residency-header-from-route', `${R(0)}.request_headers_to_add[0].header.key`),
    ],
  },
  'rds-not-checked.yaml': { plain: [W('rds-not-checked', `${HCM}.rds`)] },
  'dynamic-resources-not-checked.yaml': { plain: [W('dynamic-resources-not-checked', 'dynamic_resources.cds_config')] },
  // Only the policy says that llm is rerouted (to llm-eu and llm-us).
  'reroute-route-missing.yaml': { plain: [], policy: [W('reroute-route-missing', `${HCM}.route_config.virtual_hosts`)] },
};

describe('lint-envoy on test/fixtures/envoy', () => {
  it('has an expectation for every fixture file, and a fixture for every rule', () => {
    expect(fixtureNames()).toEqual(Object.keys(EXPECTED).sort());
    const named = new Set(fixtureNames().map((f) => f.replace(/(-aggregate)?\.yaml$/, '')));
    expect(Object.keys(RULES).filter((rule) => !named.has(rule))).toEqual([]);
  });

  it.each(Object.entries(EXPECTED))('%s', async (file, { plain, policy }) => {
    const config = loadFixture(file);
    expect(lint(config)).toEqual(plain);
    expect(lint(config, await testPolicy())).toEqual(policy ?? plain);
  });

  it('each fixture named after a rule trips that rule', () => {
    for (const file of fixtureNames().filter((f) => f !== 'clean.yaml')) {
      const rule = file.replace(/(-aggregate)?\.yaml$/, '');
      expect([...(EXPECTED[file]!.policy ?? []), ...EXPECTED[file]!.plain].map(([r]) => r), file).toContain(rule);
    }
  });
});
