// The residency decision: data stays in its region unless a rule says otherwise. Today the only
// rule is "same region"; approval, masked and rerouted outcomes slot in as further rules here.
import type { Decision, ResolvedTarget } from './types.js';

export function decide(originRegion: string, target: ResolvedTarget): Decision {
  if (originRegion === target.region) {
    return { outcome: 'allow', originRegion, target, rule: 'same-region' };
  }
  return { outcome: 'deny', code: 'RESIDENCY_CROSS_REGION', originRegion, target, rule: 'cross-region-default-deny' };
}
