import { describe, expect, it } from 'vitest';
import { decide } from '../../../src/policy/decide.js';

describe('decide', () => {
  const target = { name: 'crm', region: 'eu-west-1', source: 'policy' as const };

  it('allows a request that stays in its region', () => {
    expect(decide('eu-west-1', target)).toMatchObject({ outcome: 'allow', rule: 'same-region' });
    expect(decide('eu-west-1', target).code).toBeUndefined();
  });

  it('denies a cross-region request with RESIDENCY_CROSS_REGION and names the rule', () => {
    expect(decide('us-east-1', target)).toMatchObject({ outcome: 'deny', code: 'RESIDENCY_CROSS_REGION', originRegion: 'us-east-1', rule: 'cross-region-default-deny' });
  });
});
