import { describe, expect, it } from 'vitest';
import { decide } from '../../../src/policy/decide.js';
import type { Config } from '../../../src/config/schema.js';

const policy: Config['policy'] = {
  regions: ['eu-west-1', 'us-east-1'],
  targets: [],
  masking: [{ profile: 'pii', directions: ['response'], targets: ['crm'], cross_region_only: false }],
};

describe('decide', () => {
  const target = { name: 'crm', region: 'eu-west-1', source: 'policy' as const };

  it('allows a request that stays in its region', () => {
    expect(decide(policy, 'eu-west-1', target)).toMatchObject({ outcome: 'allow', rule: 'same-region' });
    expect(decide(policy, 'eu-west-1', target).code).toBeUndefined();
  });

  it('names the masking profile the policy chooses for an allowed request', () => {
    expect(decide(policy, 'eu-west-1', target).masking).toEqual({ request: null, response: 'pii' });
    expect(decide(policy, 'eu-west-1', { ...target, name: 'other' }).masking).toEqual({ request: null, response: null });
  });

  it('denies a cross-region request with RESIDENCY_CROSS_REGION and names the rule', () => {
    expect(decide(policy, 'us-east-1', target)).toMatchObject({ outcome: 'deny', code: 'RESIDENCY_CROSS_REGION', originRegion: 'us-east-1', rule: 'cross-region-default-deny' });
  });
});
