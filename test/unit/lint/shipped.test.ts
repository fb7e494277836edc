// The Envoy bootstraps this project ships (envoy/*.yaml, envoy/compose/envoy.yaml,
// envoy/mtls/envoy.yaml; istio/ and gateway/ hold Kubernetes resources, not bootstraps) lint with
// no errors, and with exactly the warnings their design accepts (docs/lint-envoy.md, "The shipped
// configs"). A new warning here is either a regression in the file or a rule to document.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseBootstrap } from '../../../src/cli/lint-envoy.js';
import { C, EXT_PROC, HCM, lint, R, ROOT, testPolicy, type Expected } from './support.js';

const SHIPPED = [
  ...readdirSync(join(ROOT, 'envoy')).filter((f) => f.endsWith('.yaml')).map((f) => `envoy/${f}`),
  'envoy/compose/envoy.yaml',
  'envoy/mtls/envoy.yaml',
].sort();

const load = (file: string): unknown => parseBootstrap(readFileSync(join(ROOT, file), 'utf8'));

// Without a policy.
const EXPECTED: Record<string, readonly Expected[]> = {
  'envoy/envoy.yaml': [],
  'envoy/compose/envoy.yaml': [],
  'envoy/uds.yaml': [],
  'envoy/mtls/envoy.yaml': [],
  // Decisions only, by design: no ext_proc (the rbac guard refuses allow-masked instead), and no
  // localities on its clusters (no ext_proc either to check the region that answered).
  'envoy/ext-authz-only.yaml': [
    ['ext-proc-missing', 'warning', `${HCM}.http_filters`],
    ['cluster-region-unknown', 'warning', `${C(1)}.load_assignment.endpoints[0].locality.region`],
    ['cluster-region-unknown', 'warning', `${C(2)}.load_assignment.endpoints[0].locality.region`],
  ],
  // The point of this variant: /eu/files/ switches ext_proc off (the rbac guard covers allow-masked).
  'envoy/per-route.yaml': [['per-route-disabled', 'warning', `${R(0)}.typed_per_filter_config${EXT_PROC}.disabled`]],
};

const noRerouteRoutes: Expected = ['reroute-route-missing', 'warning', `${HCM}.route_config.virtual_hosts`];
const EXPECTED_WITH_POLICY: Record<string, readonly Expected[]> = {
  'envoy/envoy.yaml': [],
  'envoy/compose/envoy.yaml': [],
  'envoy/uds.yaml': [noRerouteRoutes],
  'envoy/mtls/envoy.yaml': [noRerouteRoutes],
  'envoy/ext-authz-only.yaml': [EXPECTED['envoy/ext-authz-only.yaml']![0]!, noRerouteRoutes, ...EXPECTED['envoy/ext-authz-only.yaml']!.slice(1)],
  'envoy/per-route.yaml': [noRerouteRoutes, ...EXPECTED['envoy/per-route.yaml']!],
};

describe('lint-envoy on the shipped Envoy configs', () => {
  it('covers every shipped bootstrap', () => {
    expect(SHIPPED).toEqual(Object.keys(EXPECTED).sort());
  });

  it.each(SHIPPED)('%s: no errors, only the warnings its design accepts', (file) => {
    expect(lint(load(file))).toEqual(EXPECTED[file]);
  });

  // A policy rerouting llm (route keys llm-eu, llm-us): only envoy.yaml (and its compose copy)
  // carries the reroute routes; the variants serve crm-eu and analytics-us only.
  it.each(SHIPPED)('%s with a policy that reroutes llm', async (file) => {
    expect(lint(load(file), await testPolicy())).toEqual(EXPECTED_WITH_POLICY[file]);
  });
});
