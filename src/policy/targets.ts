// Resolves which resource a request goes to and where that resource lives. The route's
// context_extensions win (the operator pinned them in Envoy or Istio); otherwise the policy's
// target table decides by authority and path prefix, the most specific entry first. Either way a
// target the table knows brings its labels and endpoints, which the rules decide on.
import { ResidencyError } from '../errors/catalog.js';
import type { PolicyConfig, TargetConfig } from './config.js';
import type { ResolvedTarget, TargetHints } from './types.js';

const NO_LABELS: readonly string[] = Object.freeze([]);
const NO_ENDPOINTS: Readonly<Record<string, string>> = Object.freeze({});

export function resolveTarget(policy: PolicyConfig, hints: TargetHints): ResolvedTarget {
  const regions = new Set(policy.regions);
  if (hints.routeTarget !== undefined || hints.routeRegion !== undefined) {
    return fromRoute(policy, regions, hints);
  }
  const match = bestMatch(policy.targets, hints);
  if (match) return { name: match.name, region: match.region, source: 'policy', ...classification(match) };
  if (policy.default_target) return { ...policy.default_target, source: 'default', labels: NO_LABELS, endpoints: NO_ENDPOINTS };
  throw new ResidencyError('TARGET_UNKNOWN', `no target matches authority "${hints.authority}" path "${hints.path}"`);
}

function fromRoute(policy: PolicyConfig, regions: ReadonlySet<string>, hints: TargetHints): ResolvedTarget {
  const name = hints.routeTarget;
  const known = policy.targets.find((t) => t.name === name);
  // A route may name only the target and leave its region to the policy's table. A region pinned
  // on the route wins: the operator knows where that route's cluster runs.
  const region = hints.routeRegion ?? known?.region;
  if (name === undefined || name === '' || region === undefined) {
    throw new ResidencyError('TARGET_UNKNOWN', `route context_extensions name target "${name ?? ''}" without a known region`);
  }
  if (!regions.has(region)) {
    throw new ResidencyError('TARGET_UNKNOWN', `route context_extensions name region "${region}", which the policy does not declare`);
  }
  return { name, region, source: 'route', ...(known ? classification(known) : { labels: NO_LABELS, endpoints: NO_ENDPOINTS }) };
}

function classification(target: TargetConfig): Pick<ResolvedTarget, 'labels' | 'endpoints'> {
  return { labels: target.labels, endpoints: target.endpoints ?? NO_ENDPOINTS };
}

function bestMatch(targets: readonly TargetConfig[], hints: TargetHints): TargetConfig | undefined {
  const host = normaliseAuthority(hints.authority);
  let best: { target: TargetConfig; score: number } | undefined;
  for (const target of targets) {
    const hostScore = matchAuthority(target.authority, host);
    if (hostScore < 0 || !hints.path.startsWith(target.path_prefix)) continue;
    // An exact host beats a wildcard, which beats no host; then the longer path prefix wins.
    const score = hostScore * 100_000 + target.path_prefix.length;
    if (!best || score > best.score) best = { target, score };
  }
  return best?.target;
}

function normaliseAuthority(authority: string): { host: string; withPort: string } {
  const withPort = authority.toLowerCase().replace(/\.$/, '');
  const host = withPort.replace(/:\d+$/, '');
  return { host, withPort };
}

/** -1: no match; 0: the target names no authority; 1: wildcard suffix; 2: exact. */
function matchAuthority(pattern: string | undefined, authority: { host: string; withPort: string }): number {
  if (pattern === undefined) return 0;
  const p = pattern.toLowerCase();
  const subject = /:\d+$/.test(p) ? authority.withPort : authority.host;
  if (p.startsWith('*.')) return subject.endsWith(p.slice(1)) && subject.length > p.length - 1 ? 1 : -1;
  return subject === p ? 2 : -1;
}
