// Shared by the lint-envoy tests: the fixtures (test/fixtures/envoy), the test policy, and short
// names for the paths the findings point at.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseBootstrap } from '../../../src/cli/lint-envoy.js';
import { loadConfig } from '../../../src/config/load.js';
import { lintEnvoy, lintPolicyOf, type LintPolicy, type RuleId, type Severity } from '../../../src/lint/index.js';

export const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
export const FIXTURES = join(ROOT, 'test/fixtures/envoy');
export const POLICY_FILE = join(FIXTURES, 'policy/residency-gate.yaml');

/** Every Envoy fixture file name (the policy config lives in a subdirectory). */
export const fixtureNames = (): string[] => readdirSync(FIXTURES).filter((f) => f.endsWith('.yaml')).sort();

export function loadFixture(name: string): Record<string, unknown> {
  return parseBootstrap(readFileSync(join(FIXTURES, name), 'utf8')) as Record<string, unknown>;
}

export async function testPolicy(): Promise<LintPolicy> {
  return lintPolicyOf((await loadConfig(POLICY_FILE)).policy);
}

export type Expected = readonly [RuleId, Severity, string];

/** The findings as [rule, severity, path], in the order lint-envoy reports them. */
export function lint(config: unknown, policy?: LintPolicy): Expected[] {
  return lintEnvoy(config, { policy }).map((f) => [f.rule, f.severity, f.path] as const);
}

export const HCM = 'static_resources.listeners[0].filter_chains[0].filters[0].typed_config';
export const F = (i: number): string => `${HCM}.http_filters[${i}]`;
export const RT = `${HCM}.route_config`;
export const VH = `${RT}.virtual_hosts[0]`;
export const R = (i: number): string => `${VH}.routes[${i}]`;
export const C = (i: number): string => `static_resources.clusters[${i}]`;
export const EXT_AUTHZ = '["envoy.filters.http.ext_authz"]';
export const EXT_PROC = '["envoy.filters.http.ext_proc"]';
