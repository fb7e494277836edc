// What lint-envoy takes from a residency-gate policy (policy section of the config file).
import type { PolicyConfig } from '../policy/config.js';
import type { LintPolicy } from './types.js';

export function lintPolicyOf(policy: PolicyConfig): LintPolicy {
  // Dry-run rules (and a dry-run default) are reported, never applied: they mask or reroute nothing.
  const enforced = policy.dry_run ? [] : policy.rules.filter((r) => !r.dry_run);
  const defaultEnforced = !policy.dry_run && !policy.default.dry_run;
  return {
    regions: [...policy.regions],
    targets: [
      ...policy.targets.map((t) => ({ name: t.name, region: t.region, endpoints: t.endpoints })),
      ...(policy.default_target === undefined ? [] : [{ name: policy.default_target.name, region: policy.default_target.region }]),
    ],
    allowMasked: enforced.some((r) => r.outcome === 'allow-masked') || (defaultEnforced && policy.default.outcome === 'allow-masked'),
    rerouteKeys: enforced
      .filter((r) => r.outcome === 'reroute')
      .flatMap((r) => policy.targets.filter((t) => (r.target?.name !== undefined ? t.name === r.target.name : (r.target?.labels ?? []).every((l) => t.labels.includes(l)))))
      .flatMap((t) => Object.entries(t.endpoints ?? {}).map(([region, key]) => ({ target: t.name, region, key })))
      .filter((k, i, all) => all.findIndex((o) => o.target === k.target && o.key === k.key && o.region === k.region) === i),
  };
}
