// The residency decision: data stays in its region unless a rule says otherwise. Today the only
// rule is "same region"; approval, masked and rerouted outcomes slot in as further rules here.
import type { Config } from '../config/schema.js';
import { chooseMasking, NO_MASKING } from './masking-rules.js';
import type { Decision, ResolvedTarget } from './types.js';

export function decide(policy: Config['policy'], originRegion: string, target: ResolvedTarget): Decision {
  if (originRegion === target.region) {
    const masking = chooseMasking(policy.masking, originRegion, target);
    return { outcome: 'allow', originRegion, target, rule: 'same-region', masking };
  }
  return { outcome: 'deny', code: 'RESIDENCY_CROSS_REGION', originRegion, target, rule: 'cross-region-default-deny', masking: NO_MASKING };
}
