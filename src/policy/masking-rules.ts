// Which masking profile applies to a request's body and to its response's body. The first rule
// whose conditions all hold wins; a rule without a condition on a field matches any value there.
import type { MaskingRuleConfig } from './config.js';
import type { ResolvedTarget } from './types.js';

export interface MaskingChoice {
  /** Profile for the request body (data leaving the caller), or null: hash only. */
  readonly request: string | null;
  /** Profile for the response body (data coming back to the caller), or null: hash only. */
  readonly response: string | null;
}

export const NO_MASKING: MaskingChoice = Object.freeze({ request: null, response: null });

export function chooseMasking(rules: readonly MaskingRuleConfig[], originRegion: string, target: ResolvedTarget): MaskingChoice {
  const rule = rules.find(
    (r) =>
      (r.targets === undefined || r.targets.includes(target.name)) &&
      (r.origin_regions === undefined || r.origin_regions.includes(originRegion)) &&
      (r.target_regions === undefined || r.target_regions.includes(target.region)) &&
      (!r.cross_region_only || originRegion !== target.region),
  );
  if (!rule) return NO_MASKING;
  return {
    request: rule.directions.includes('request') ? rule.profile : null,
    response: rule.directions.includes('response') ? rule.profile : null,
  };
}
