// The allow-masked guard (docs/policy.md, "Envoy set-up for allow-masked"): an RBAC filter after
// ext_authz with a DENY policy that matches ext_authz's metadata residency.decision = allow-masked
// (and, in envoy/envoy.yaml, no ext_proc masking mark). It refuses allow-masked data wherever
// ext_proc did not mask it.
import { arr, at, isObject, isTrue, obj, str, typeName, type Json } from './json.js';
import { EXT_AUTHZ_NAMESPACE, type ConnectionManager, type HttpFilter, type PerFilterConfig } from './walk.js';

/** An enforced (rules, not shadow_rules) DENY RBAC config with a policy on the allow-masked decision. */
export function isGuardRbac(config: unknown): boolean {
  const rules = obj(config, 'rules');
  const action = at(rules, 'action');
  if (action !== 'DENY' && action !== 1) return false;
  const policies = obj(rules, 'policies') ?? {};
  return Object.values(policies).some((policy) => arr(policy, 'permissions').some((p) => matchesAllowMasked(p, false)));
}

/** Whether the permission tree holds, outside any negation, a metadata match on decision = allow-masked. */
function matchesAllowMasked(node: Json, negated: boolean): boolean {
  if (Array.isArray(node)) return node.some((n) => matchesAllowMasked(n, negated));
  if (!isObject(node)) return false;
  for (const [key, value] of Object.entries(node)) {
    if (key === 'metadata' || key === 'sourced_metadata') {
      // Permission.metadata (deprecated) is a MetadataMatcher; sourced_metadata wraps one and may
      // read the route's metadata instead of the dynamic metadata ext_authz writes.
      if (key === 'sourced_metadata' && (str(value, 'metadata_source') === 'ROUTE' || at(value, 'metadata_source') === 1)) continue;
      const matcher = key === 'metadata' ? value : at(value, 'metadata_matcher');
      const inverted = isTrue(matcher, 'invert') !== negated;
      if (!inverted && matcher !== undefined && isDecisionMatcher(matcher)) return true;
    } else if (key === 'not_rule') {
      if (matchesAllowMasked(value, !negated)) return true;
    } else if (matchesAllowMasked(value, negated)) {
      return true;
    }
  }
  return false;
}

function isDecisionMatcher(matcher: Json): boolean {
  if (str(matcher, 'filter') !== EXT_AUTHZ_NAMESPACE) return false;
  const keys = arr(matcher, 'path').map((p) => str(p, 'key'));
  if (keys.join('.') !== 'residency.decision') return false;
  const match = obj(obj(matcher, 'value'), 'string_match');
  return str(match, 'exact') === 'allow-masked';
}

/** RBAC filters that are guards and run after the first enabled ext_authz (before it, the decision is not there yet). */
export function guardFilters(cm: ConnectionManager): { effective: HttpFilter[]; tooEarly: HttpFilter[] } {
  const authz = cm.filters.find((f) => f.kind === 'ext_authz' && !f.disabled);
  const guards = cm.filters.filter((f) => f.kind === 'rbac' && !f.disabled && isGuardRbac(f.config));
  if (authz === undefined) return { effective: [], tooEarly: guards };
  return { effective: guards.filter((g) => g.index > authz.index), tooEarly: guards.filter((g) => g.index < authz.index) };
}

/** Whether a guard still applies under these per-route configs (RBACPerRoute may replace or drop it). */
export function guardApplies(guards: readonly HttpFilter[], perFilter: readonly PerFilterConfig[]): boolean {
  return guards.some((g) => {
    let applies = true;
    // Least specific first: the most specific override decides.
    for (const pf of perFilter) {
      if (pf.key !== g.name) continue;
      if (pf.disabled) applies = false;
      else if (typeName(pf.config) === 'RBACPerRoute') {
        const rbac = obj(pf.config, 'rbac');
        applies = rbac !== undefined && isGuardRbac(rbac);
      }
    }
    return applies;
  });
}
