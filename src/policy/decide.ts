// The residency decision: data stays in its region unless a rule says otherwise.
//
// 1. The rules that match the request, most specific first (rules.ts). For traffic that stays in
//    its region only rules naming both sides count; the rest cannot overrule same-region.
// 2. The first of them that is enforced decides. A rule in dry run that ranks above it is
//    reported as `intended` but changes nothing: a rule being rolled out must never loosen what
//    the policy already enforces (a dry-run allow above an enforced deny still denies).
// 3. No enforced rule: same region → allow (`same-region`); otherwise `policy.default`, which in
//    dry run lets the request through and says what it would have done.
import { ResidencyError } from '../errors/catalog.js';
import type { PolicyConfig, RuleOutcome } from './config.js';
import { chooseMasking, NO_MASKING, type MaskingChoice } from './masking-rules.js';
import { DEFAULT_RULE, matchingRules, namesBothSides, SAME_REGION_RULE } from './rules.js';
import type { Decision, IntendedOutcome, ResolvedTarget, Verdict } from './types.js';

interface Request {
  readonly policy: PolicyConfig;
  readonly originRegion: string;
  readonly target: ResolvedTarget;
}

export function decide(policy: PolicyConfig, originRegion: string, target: ResolvedTarget): Decision {
  const request: Request = { policy, originRegion, target };
  const sameRegion = originRegion === target.region;
  let intended: IntendedOutcome | undefined;
  for (const rule of matchingRules(policy, originRegion, target)) {
    if (sameRegion && !namesBothSides(rule)) continue;
    const verdict = verdictOf(request, rule.outcome, rule.profile, rule.name);
    if (rule.dry_run || policy.dry_run) {
      intended ??= { ...verdict, rule: rule.name };
      continue;
    }
    return decision(request, rule.name, verdict, intended);
  }
  if (sameRegion) return decision(request, SAME_REGION_RULE, { outcome: 'allow' }, intended);
  const fallback = verdictOf(request, policy.default.outcome, policy.default.profile, DEFAULT_RULE);
  if (policy.default.dry_run || policy.dry_run) {
    return decision(request, DEFAULT_RULE, { outcome: 'allow' }, intended ?? { ...fallback, rule: DEFAULT_RULE });
  }
  return decision(request, DEFAULT_RULE, fallback, intended);
}

function verdictOf({ originRegion, target }: Request, outcome: RuleOutcome, profile: string | undefined, rule: string): Verdict {
  switch (outcome) {
    case 'allow':
      return { outcome };
    case 'deny':
      // Within a region only an explicit rule denies: "cross-region" would mislead the client.
      return { outcome, code: originRegion === target.region ? 'RESIDENCY_RULE_DENIED' : 'RESIDENCY_CROSS_REGION' };
    case 'approval':
      return { outcome, code: 'APPROVAL_REQUIRED' };
    case 'allow-masked':
      // The config schema requires the profile; without it nothing could be masked, so refuse.
      if (profile === undefined) throw new ResidencyError('INTERNAL', `rule "${rule}" is allow-masked without a profile`);
      return { outcome, profile };
    case 'reroute': {
      // Only the caller's own region will do: another region's endpoint would still move the data.
      const routeKey = Object.hasOwn(target.endpoints, originRegion) ? target.endpoints[originRegion] : undefined;
      if (routeKey === undefined) return { outcome: 'deny', code: 'REROUTE_UNAVAILABLE' };
      return { outcome, rerouteTo: { region: originRegion, routeKey } };
    }
  }
}

function decision(request: Request, rule: string, verdict: Verdict, intended: IntendedOutcome | undefined): Decision {
  const { originRegion, target } = request;
  return {
    ...verdict,
    originRegion,
    target,
    rule,
    masking: maskingFor(request, verdict),
    dryRun: intended !== undefined,
    wouldDeny: intended !== undefined && blocks(intended) && !blocks(verdict),
    ...(intended === undefined ? {} : { intended }),
  };
}

function blocks(verdict: Verdict): boolean {
  return verdict.outcome === 'deny' || verdict.outcome === 'approval';
}

// allow-masked's profile is for the request body, the data leaving the caller's region; what comes
// back stays under `policy.masking`, like any allowed response.
function maskingFor({ policy, originRegion, target }: Request, verdict: Verdict): MaskingChoice {
  switch (verdict.outcome) {
    case 'deny':
    case 'approval':
      return NO_MASKING;
    case 'allow':
      return chooseMasking(policy.masking, originRegion, target);
    case 'allow-masked':
      return { request: verdict.profile, response: chooseMasking(policy.masking, originRegion, target).response };
    case 'reroute':
      // The data now goes to the caller's own region: masking rules see the rerouted target.
      return chooseMasking(policy.masking, originRegion, { ...target, region: verdict.rerouteTo.region });
  }
}
