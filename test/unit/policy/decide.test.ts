import { describe, expect, it } from 'vitest';
import { ResidencyError } from '../../../src/errors/catalog.js';
import { policyConfigSchema } from '../../../src/policy/config.js';
import { decide } from '../../../src/policy/decide.js';
import { resolveTarget } from '../../../src/policy/targets.js';
import { POLICY_CASES } from './cases.js';
import { POLICIES, RAW_POLICY } from './fixture.js';

const policy = policyConfigSchema.parse({
  regions: ['eu-west-1', 'us-east-1'],
  masking: [{ profile: 'pii', directions: ['response'], targets: ['crm'] }],
});
const target = { name: 'crm', region: 'eu-west-1', source: 'policy' as const, labels: [], endpoints: {} };

describe('decide', () => {
  it('allows a request that stays in its region, by the built-in same-region rule', () => {
    expect(decide(policy, 'eu-west-1', target)).toMatchObject({ outcome: 'allow', rule: 'same-region', dryRun: false, wouldDeny: false });
    expect(decide(policy, 'eu-west-1', target).code).toBeUndefined();
  });

  it('names the masking profile the policy chooses for an allowed request', () => {
    expect(decide(policy, 'eu-west-1', target).masking).toEqual({ request: null, response: 'pii' });
    expect(decide(policy, 'eu-west-1', { ...target, name: 'other' }).masking).toEqual({ request: null, response: null });
  });

  it('denies a cross-region request by the default, with RESIDENCY_CROSS_REGION and no masking', () => {
    expect(decide(policy, 'us-east-1', target)).toEqual({
      outcome: 'deny', code: 'RESIDENCY_CROSS_REGION', originRegion: 'us-east-1', target, rule: 'default',
      masking: { request: null, response: null }, dryRun: false, wouldDeny: false,
    });
  });

  it('ranks rules by specificity, not by their place in the file (ties aside)', () => {
    const tied = new Set(['usw-to-ap-first', 'usw-to-ap-second']);
    // Reversed, except the two rules whose order is the tie-break.
    const rules = [...RAW_POLICY.rules.filter((r) => !tied.has(r.name)).reverse(), ...RAW_POLICY.rules.filter((r) => tied.has(r.name))];
    const reversed = policyConfigSchema.parse({ ...RAW_POLICY, rules });
    const main = POLICY_CASES.filter((c) => (c.policy ?? 'main') === 'main' && c.expect.outcome !== 'error');
    for (const c of main) {
      const hints = typeof c.to === 'string' ? { authority: c.to.slice(0, c.to.indexOf('/')), path: c.to.slice(c.to.indexOf('/')) } : { routeTarget: c.to.route, routeRegion: c.to.region, authority: '', path: '/' };
      const before = decide(POLICIES.main, c.from, resolveTarget(POLICIES.main, hints));
      const after = decide(reversed, c.from, resolveTarget(reversed, hints));
      expect(after, c.name).toEqual(before);
    }
  });

  it('refuses an allow-masked rule without a profile rather than pass unmasked (the schema forbids it)', () => {
    const unchecked = { ...policy, rules: [{ name: 'r', from: '*', to: '*', outcome: 'allow-masked' as const, dry_run: false }] };
    expect(() => decide(unchecked, 'us-east-1', target)).toThrow(ResidencyError);
  });
});
