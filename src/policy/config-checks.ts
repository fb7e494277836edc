// The checks that span several parts of the policy section: names a rule, target or jurisdiction
// uses must be declared, and a rule must be able to do what it says. They return every problem
// with its path (relative to `policy`) rather than stopping at the first, as the rest of the
// config validation does; an operator fixing a policy wants the whole list at once.
import type { PolicyConfig, RuleConfig, TargetConfig } from './config.js';
import { ANY_REGION, DEFAULT_RULE, SAME_REGION_RULE } from './rules.js';

export interface PolicyProblem {
  readonly path: ReadonlyArray<string | number>;
  readonly message: string;
}

export function policyProblems(policy: PolicyConfig): PolicyProblem[] {
  const problems: PolicyProblem[] = [];
  const add = (path: ReadonlyArray<string | number>, message: string): void => {
    problems.push({ path, message });
  };
  const regions = new Set(policy.regions);
  checkJurisdictions(policy, regions, add);
  checkTargets(policy, regions, add);
  checkRules(policy, regions, add);
  policy.networks.forEach((n, i) => {
    if (!regions.has(n.region)) add(['networks', i, 'region'], `unknown region "${n.region}"`);
  });
  policy.masking.forEach((rule, i) => {
    for (const key of ['origin_regions', 'target_regions'] as const) {
      rule[key]?.forEach((r, j) => {
        if (!regions.has(r)) add(['masking', i, key, j], `unknown region "${r}"`);
      });
    }
  });
  return problems;
}

type Add = (path: ReadonlyArray<string | number>, message: string) => void;

function checkJurisdictions(policy: PolicyConfig, regions: ReadonlySet<string>, add: Add): void {
  for (const [name, members] of Object.entries(policy.jurisdictions)) {
    // One namespace for both, so that a rule's `from: eu` can only mean one thing.
    if (regions.has(name)) add(['jurisdictions', name], `"${name}" is already a region; a jurisdiction needs a name of its own`);
    members.forEach((r, j) => {
      if (!regions.has(r)) add(['jurisdictions', name, j], `unknown region "${r}"; declare it in policy.regions`);
    });
  }
}

function checkTargets(policy: PolicyConfig, regions: ReadonlySet<string>, add: Add): void {
  const firstByName = new Map<string, { target: TargetConfig; index: number }>();
  policy.targets.forEach((t, i) => {
    if (!regions.has(t.region)) add(['targets', i, 'region'], `unknown region "${t.region}"; declare it in policy.regions`);
    for (const r of Object.keys(t.endpoints ?? {})) {
      if (!regions.has(r)) add(['targets', i, 'endpoints', r], `unknown region "${r}"; declare it in policy.regions`);
    }
    // Several entries may share a name (one target behind several hosts), but a route that names
    // the target must inherit one region, one set of labels and one set of endpoints.
    const first = firstByName.get(t.name);
    if (first === undefined) {
      firstByName.set(t.name, { target: t, index: i });
    } else if (!sameTarget(first.target, t)) {
      add(['targets', i, 'name'], `target "${t.name}" is also policy.targets[${first.index}] with another region, labels or endpoints`);
    }
  });
  const fallback = policy.default_target;
  if (fallback && !regions.has(fallback.region)) add(['default_target', 'region'], `unknown region "${fallback.region}"`);
}

function sameTarget(a: TargetConfig, b: TargetConfig): boolean {
  const key = (t: TargetConfig): string => JSON.stringify([t.region, [...t.labels].sort(), Object.entries(t.endpoints ?? {}).sort()]);
  return key(a) === key(b);
}

function checkRules(policy: PolicyConfig, regions: ReadonlySet<string>, add: Add): void {
  const targetNames = new Set(policy.targets.map((t) => t.name));
  if (policy.default_target) targetNames.add(policy.default_target.name);
  const labels = new Set(policy.targets.flatMap((t) => t.labels));
  const seen = new Map<string, number>();
  policy.rules.forEach((rule, i) => {
    const first = seen.get(rule.name);
    if (first !== undefined) add(['rules', i, 'name'], `duplicate of policy.rules[${first}]`);
    else seen.set(rule.name, i);
    if (rule.name === SAME_REGION_RULE || rule.name === DEFAULT_RULE) add(['rules', i, 'name'], `"${rule.name}" is the name of a built-in rule`);
    for (const side of ['from', 'to'] as const) {
      const scope = rule[side];
      if (scope !== ANY_REGION && !regions.has(scope) && !Object.hasOwn(policy.jurisdictions, scope)) {
        add(['rules', i, side], `unknown region or jurisdiction "${scope}"; declare it in policy.regions or policy.jurisdictions`);
      }
    }
    const byName = rule.target?.name;
    if (byName !== undefined && !targetNames.has(byName)) add(['rules', i, 'target', 'name'], `unknown target "${byName}"; declare it in policy.targets`);
    rule.target?.labels?.forEach((l, j) => {
      // A label no target carries can never match: almost certainly a typo.
      if (!labels.has(l)) add(['rules', i, 'target', 'labels', j], `no target in policy.targets carries the label "${l}"`);
    });
    if (rule.outcome === 'reroute') checkReroute(policy, rule, i, add);
  });
}

// A reroute rule must reach only targets that have endpoints, so a rule that can never reroute
// is caught here; whether the caller's own region has an endpoint is decided per request.
function checkReroute(policy: PolicyConfig, rule: RuleConfig, i: number, add: Add): void {
  const selector = rule.target;
  if (selector === undefined) {
    add(['rules', i, 'target'], 'a reroute rule must select its target by name or labels: only targets with endpoints can be rerouted');
    return;
  }
  if (selector.name !== undefined) {
    const known = policy.targets.some((t) => t.name === selector.name) || policy.default_target?.name === selector.name;
    if (known && !policy.targets.some((t) => t.name === selector.name && t.endpoints !== undefined)) {
      add(['rules', i, 'target', 'name'], `target "${selector.name}" has no endpoints to reroute to`);
    }
    return;
  }
  const wanted = selector.labels ?? [];
  const without = policy.targets.filter((t) => wanted.every((l) => t.labels.includes(l)) && t.endpoints === undefined).map((t) => t.name);
  if (without.length > 0) {
    add(['rules', i, 'target', 'labels'], `the rule reroutes targets without endpoints: ${[...new Set(without)].join(', ')}`);
  }
}
