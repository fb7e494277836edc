// The rule table in the order it is consulted: the most specific rule first, whatever its place in
// the file, so that adding a broad rule at the end cannot shadow a narrow one written earlier.
//
// Specificity, compared in this order:
//   1. the target: by name (2) > by labels (1) > any target (0);
//   2. the region pair: the sum over `from` and `to` of region (2) > jurisdiction (1) > '*' (0);
//   3. the order in the file, earlier first.
//
// The table is ranked once per policy object (the loaded config is frozen, so the cache cannot go
// stale) rather than on every request.
import type { PolicyConfig, RuleConfig } from './config.js';
import type { ResolvedTarget } from './types.js';

/** `*` in a rule's from / to: any region. */
export const ANY_REGION = '*';

/** Names the built-in rules use in decisions; a rule of the table may not take them. */
export const SAME_REGION_RULE = 'same-region';
export const DEFAULT_RULE = 'default';

interface RankedPolicy {
  readonly rules: readonly RuleConfig[];
  readonly jurisdictions: ReadonlyMap<string, ReadonlySet<string>>;
}

const ranked = new WeakMap<PolicyConfig, RankedPolicy>();

/** The rules that match this request, most specific first. */
export function matchingRules(policy: PolicyConfig, originRegion: string, target: ResolvedTarget): RuleConfig[] {
  const { rules, jurisdictions } = rank(policy);
  return rules.filter(
    (r) =>
      inScope(jurisdictions, r.from, originRegion) &&
      inScope(jurisdictions, r.to, target.region) &&
      selectsTarget(r, target),
  );
}

/**
 * Whether a rule may overrule the built-in same-region allow: only one that names both sides (a
 * region or a jurisdiction, no '*'). So `from: eu, to: '*', outcome: deny` keeps EU data in the EU
 * without also cutting the EU off from its own region.
 */
export function namesBothSides(rule: RuleConfig): boolean {
  return rule.from !== ANY_REGION && rule.to !== ANY_REGION;
}

function rank(policy: PolicyConfig): RankedPolicy {
  const cached = ranked.get(policy);
  if (cached) return cached;
  const jurisdictions = new Map(Object.entries(policy.jurisdictions).map(([name, members]) => [name, new Set(members)] as const));
  const scored = policy.rules.map((rule, index) => ({
    rule,
    index,
    target: targetSpecificity(rule),
    pair: scopeSpecificity(jurisdictions, rule.from) + scopeSpecificity(jurisdictions, rule.to),
  }));
  scored.sort((a, b) => b.target - a.target || b.pair - a.pair || a.index - b.index);
  const result: RankedPolicy = { rules: scored.map((s) => s.rule), jurisdictions };
  ranked.set(policy, result);
  return result;
}

function targetSpecificity(rule: RuleConfig): number {
  if (rule.target?.name !== undefined) return 2;
  return rule.target?.labels !== undefined ? 1 : 0;
}

function scopeSpecificity(jurisdictions: ReadonlyMap<string, ReadonlySet<string>>, scope: string): number {
  if (scope === ANY_REGION) return 0;
  return jurisdictions.has(scope) ? 1 : 2;
}

// Region and jurisdiction names cannot collide (config-checks.ts), so a name is one or the other.
function inScope(jurisdictions: ReadonlyMap<string, ReadonlySet<string>>, scope: string, region: string): boolean {
  if (scope === ANY_REGION) return true;
  const members = jurisdictions.get(scope);
  return members ? members.has(region) : scope === region;
}

/** By name: that target. By labels: a target carrying every listed label. Without: any target. */
function selectsTarget(rule: RuleConfig, target: ResolvedTarget): boolean {
  const selector = rule.target;
  if (selector === undefined) return true;
  if (selector.name !== undefined) return selector.name === target.name;
  return (selector.labels ?? []).every((l) => target.labels.includes(l));
}
