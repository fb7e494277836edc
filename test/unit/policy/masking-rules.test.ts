import { describe, expect, it } from 'vitest';
import { chooseMasking } from '../../../src/policy/masking-rules.js';

const target = { name: 'llm', region: 'eu-west-1', source: 'route' as const, labels: [], endpoints: {} };
const rule = { profile: 'p', directions: ['request', 'response'] as Array<'request' | 'response'>, cross_region_only: false };

describe('chooseMasking', () => {
  it('takes the first rule whose conditions all hold', () => {
    const rules = [
      { ...rule, profile: 'other-target', targets: ['crm'] },
      { ...rule, profile: 'from-us', origin_regions: ['us-east-1'] },
      { ...rule, profile: 'llm-eu', targets: ['llm'], target_regions: ['eu-west-1'] },
      { ...rule, profile: 'catch-all' },
    ];
    expect(chooseMasking(rules, 'eu-west-1', target)).toEqual({ request: 'llm-eu', response: 'llm-eu' });
    expect(chooseMasking(rules, 'us-east-1', target)).toEqual({ request: 'from-us', response: 'from-us' });
  });

  it('applies a profile only to the directions it names', () => {
    expect(chooseMasking([{ ...rule, directions: ['request'] }], 'eu-west-1', target)).toEqual({ request: 'p', response: null });
  });

  it('skips a cross-region-only rule for same-region traffic, and masks nothing without a match', () => {
    expect(chooseMasking([{ ...rule, cross_region_only: true }], 'eu-west-1', target)).toEqual({ request: null, response: null });
    expect(chooseMasking([{ ...rule, cross_region_only: true }], 'us-east-1', target)).toEqual({ request: 'p', response: 'p' });
  });
});
