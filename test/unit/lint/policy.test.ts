// lintPolicyOf: what lint-envoy takes from a residency-gate policy.
import { describe, expect, it } from 'vitest';
import { lintPolicyOf } from '../../../src/lint/index.js';
import { policyConfigSchema } from '../../../src/policy/config.js';

const policy = (extra: Record<string, unknown>) =>
  policyConfigSchema.parse({
    regions: ['eu-west-1', 'eu-central-1', 'us-east-1'],
    targets: [
      { name: 'crm-eu', region: 'eu-west-1', labels: ['pii'] },
      { name: 'llm', region: 'us-east-1', labels: ['llm'], endpoints: { 'eu-west-1': 'llm-eu', 'us-east-1': 'llm-us' } },
      { name: 'search', region: 'us-east-1', labels: ['llm', 'public'], endpoints: { 'eu-central-1': 'search-eu' } },
    ],
    default_target: { name: 'internal', region: 'eu-west-1' },
    ...extra,
  });

describe('lintPolicyOf', () => {
  it('takes regions and targets (default_target included)', () => {
    const p = lintPolicyOf(policy({}));
    expect(p.regions).toEqual(['eu-west-1', 'eu-central-1', 'us-east-1']);
    expect(p.targets.map((t) => [t.name, t.region])).toEqual([['crm-eu', 'eu-west-1'], ['llm', 'us-east-1'], ['search', 'us-east-1'], ['internal', 'eu-west-1']]);
    expect(p).toMatchObject({ allowMasked: false, rerouteKeys: [] });
  });

  it('knows the route keys of the targets enforced reroute rules select, by name or labels', () => {
    expect(lintPolicyOf(policy({ rules: [{ name: 'r', from: '*', to: '*', target: { name: 'llm' }, outcome: 'reroute' }] })).rerouteKeys).toEqual([
      { target: 'llm', region: 'eu-west-1', key: 'llm-eu' },
      { target: 'llm', region: 'us-east-1', key: 'llm-us' },
    ]);
    expect(lintPolicyOf(policy({ rules: [{ name: 'r', from: '*', to: '*', target: { labels: ['llm', 'public'] }, outcome: 'reroute' }] })).rerouteKeys).toEqual([
      { target: 'search', region: 'eu-central-1', key: 'search-eu' },
    ]);
  });

  it('counts allow-masked from enforced rules or the default, never from dry runs', () => {
    const masked = { name: 'm', from: 'us-east-1', to: 'eu-west-1', outcome: 'allow-masked', profile: 'p' };
    expect(lintPolicyOf(policy({ rules: [masked] })).allowMasked).toBe(true);
    expect(lintPolicyOf(policy({ rules: [{ ...masked, dry_run: true }] })).allowMasked).toBe(false);
    expect(lintPolicyOf(policy({ rules: [masked], dry_run: true })).allowMasked).toBe(false);
    expect(lintPolicyOf(policy({ default: { outcome: 'allow-masked', profile: 'p' } })).allowMasked).toBe(true);
    expect(lintPolicyOf(policy({ default: { outcome: 'allow-masked', profile: 'p', dry_run: true } })).allowMasked).toBe(false);
    expect(lintPolicyOf(policy({ rules: [{ name: 'r', from: '*', to: '*', target: { name: 'llm' }, outcome: 'reroute', dry_run: true }] })).rerouteKeys).toEqual([]);
  });
});
