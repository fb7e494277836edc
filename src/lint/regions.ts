// Where requests can end up, by Envoy's own locality.region on each cluster's endpoint groups
// (load_assignment.endpoints[].locality.region, the field Envoy reports upstream and residency-gate's
// ext_proc reads back). ext_authz decides before Envoy picks a host: a cluster that balances or
// fails over across regions, or a route pinning one region and sending to a cluster in another,
// moves data after the decision.
import { arr, isObject, obj, str, type JsonObject, type Path } from './json.js';
import type { Report } from './report.js';
import type { LintPolicy } from './types.js';
import { contextExtensions, rerouteKey, type RouteTable } from './walk.js';

interface EndpointGroup {
  readonly region: string | undefined;
  readonly priority: number;
  readonly path: Path;
}

export interface ClusterInfo {
  readonly name: string;
  readonly path: Path;
  readonly cluster: JsonObject;
  readonly groups: readonly EndpointGroup[];
  /** Set when the file cannot say where (some of) the endpoints are: where to point, and why. */
  readonly unknown?: { readonly path: Path; readonly why: string } | undefined;
  /** An aggregate cluster's members, in failover order. */
  readonly members?: { readonly names: readonly string[]; readonly path: Path } | undefined;
}

const AGGREGATE = 'envoy.clusters.aggregate';

export function staticClusters(bootstrap: JsonObject): Map<string, ClusterInfo> {
  const out = new Map<string, ClusterInfo>();
  arr(obj(bootstrap, 'static_resources'), 'clusters').forEach((cluster, c) => {
    if (!isObject(cluster)) return;
    const name = str(cluster, 'name');
    if (name === undefined) return;
    const path: Path = ['static_resources', 'clusters', c];
    const groups: EndpointGroup[] = arr(obj(cluster, 'load_assignment'), 'endpoints').map((g, i) => {
      const p = isObject(g) ? g.priority : undefined;
      const priority = typeof p === 'number' ? p : 0;
      return { region: str(obj(g, 'locality'), 'region') || undefined, priority, path: [...path, 'load_assignment', 'endpoints', i] };
    });
    const type = str(cluster, 'type');
    const custom = obj(cluster, 'cluster_type');
    const customName = str(custom, 'name');
    let unknown: ClusterInfo['unknown'];
    let members: ClusterInfo['members'];
    if (customName === AGGREGATE) {
      const list = arr(obj(custom, 'typed_config'), 'clusters').filter((m): m is string => typeof m === 'string');
      members = { names: list, path: [...path, 'cluster_type', 'typed_config', 'clusters'] };
    } else if (customName !== undefined) {
      unknown = { path: [...path, 'cluster_type'], why: `its hosts come from the cluster type ${customName}` };
    } else if (type === 'EDS' || obj(cluster, 'eds_cluster_config') !== undefined) {
      unknown = { path: [...path, 'type'], why: 'its endpoints come from EDS, not from this file' };
    } else if (type === 'ORIGINAL_DST') {
      unknown = { path: [...path, 'type'], why: 'ORIGINAL_DST sends each request wherever it was addressed' };
    } else {
      const bare = groups.find((g) => g.region === undefined);
      if (bare !== undefined) unknown = { path: [...bare.path, 'locality', 'region'], why: 'its endpoints carry no locality.region' };
      else if (groups.length === 0) unknown = { path: [...path, 'load_assignment'], why: 'it lists no endpoints' };
    }
    if (!out.has(name)) out.set(name, { name, path, cluster, groups, unknown, members });
  });
  return out;
}

/** Every region a request to this cluster can be served in (aggregate members included). */
function regionsOf(info: ClusterInfo, clusters: ReadonlyMap<string, ClusterInfo>, seen = new Set<string>()): Set<string> {
  const out = new Set<string>();
  if (seen.has(info.name)) return out;
  seen.add(info.name);
  for (const g of info.groups) if (g.region !== undefined) out.add(g.region);
  for (const m of info.members?.names ?? []) {
    const member = clusters.get(m);
    if (member !== undefined) for (const r of regionsOf(member, clusters, seen)) out.add(r);
  }
  return out;
}

/** The clusters (this one or aggregate members) whose region the file cannot tell, or names not defined here. */
function unknownParts(info: ClusterInfo, clusters: ReadonlyMap<string, ClusterInfo>, seen = new Set<string>()): Array<ClusterInfo | string> {
  if (seen.has(info.name)) return [];
  seen.add(info.name);
  const out: Array<ClusterInfo | string> = info.unknown !== undefined ? [info] : [];
  for (const m of info.members?.names ?? []) {
    const member = clusters.get(m);
    out.push(...(member === undefined ? [m] : unknownParts(member, clusters, seen)));
  }
  return out;
}

const list = (regions: Iterable<string>): string => [...regions].sort().join(', ');

export function lintClusters(clusters: ReadonlyMap<string, ClusterInfo>, report: Report, policy: LintPolicy | undefined): void {
  for (const info of clusters.values()) {
    const byPriority = new Map<number, EndpointGroup[]>();
    for (const g of info.groups) byPriority.set(g.priority, [...(byPriority.get(g.priority) ?? []), g]);
    const weighted = obj(obj(info.cluster, 'common_lb_config'), 'locality_weighted_lb_config') !== undefined;
    for (const [priority, groups] of byPriority) {
      const first = groups.find((g) => g.region !== undefined);
      const other = groups.find((g) => g.region !== undefined && g.region !== first?.region);
      if (first === undefined || other === undefined) continue;
      const regions = list(new Set(groups.flatMap((g) => (g.region === undefined ? [] : [g.region]))));
      report.add(
        'cross-region-cluster',
        [...other.path, 'locality', 'region'],
        `cluster "${info.name}" balances requests across endpoints in ${regions}${priority > 0 ? ` (priority ${priority})` : ''}${weighted ? ', each locality getting its locality_weighted_lb_config weight' : ''}: a request decided for one region can be served in another`,
      );
    }
    const priorities = [...byPriority.keys()].sort((a, b) => a - b);
    const primary = priorities[0];
    const home = new Set((primary === undefined ? [] : (byPriority.get(primary) ?? [])).flatMap((g) => (g.region === undefined ? [] : [g.region])));
    if (home.size > 0) {
      for (const g of info.groups) {
        if (g.priority === primary || g.region === undefined || home.has(g.region)) continue;
        const trigger = obj(info.cluster, 'outlier_detection') !== undefined ? 'fail health checks or are ejected by outlier_detection' : 'are unhealthy or overloaded';
        report.add(
          'locality-failover',
          [...g.path, 'priority'],
          `cluster "${info.name}" fails over into ${g.region} (priority ${g.priority}): when its ${list(home)} endpoints ${trigger}, Envoy sends their requests to another region after residency-gate decided`,
        );
      }
    }
    if (info.members !== undefined) {
      const [firstName, ...rest] = info.members.names;
      const firstMember = firstName === undefined ? undefined : clusters.get(firstName);
      const primaryRegions = firstMember === undefined ? new Set<string>() : regionsOf(firstMember, clusters);
      rest.forEach((m, k) => {
        const member = clusters.get(m);
        if (member === undefined || primaryRegions.size === 0) return;
        const extra = [...regionsOf(member, clusters)].filter((r) => !primaryRegions.has(r));
        if (extra.length === 0) return;
        report.add(
          'locality-failover',
          [...info.members!.path, k + 1],
          `aggregate cluster "${info.name}" fails over from "${firstName}" (${list(primaryRegions)}) to "${m}" (${list(extra)}): requests move to another region after residency-gate decided`,
        );
      });
    }
    if (policy !== undefined) {
      for (const g of info.groups) {
        if (g.region === undefined || policy.regions.includes(g.region)) continue;
        report.add(
          'cluster-region-unknown',
          [...g.path, 'locality', 'region'],
          `cluster "${info.name}": locality region "${g.region}" is not a region of the policy (${policy.regions.join(', ')}); name localities after policy.regions`,
        );
      }
    }
  }
}

interface Pin {
  readonly region: string;
  /** For messages: `residency.region "eu-west-1"`, `target "llm" (us-east-1 in the policy)`. */
  readonly source: string;
}

function pinOf(ctx: Readonly<Record<string, string>>, route: JsonObject, policy: LintPolicy | undefined): Pin | undefined {
  const region = ctx['residency.region'];
  if (region !== undefined && region !== '') return { region, source: `residency.region ${region}` };
  const name = ctx['residency.target'];
  const target = name === undefined || policy === undefined ? undefined : policy.targets.find((t) => t.name === name);
  if (target === undefined) return undefined;
  const key = rerouteKey(route);
  if (key !== undefined && target.endpoints !== undefined) {
    const endpoint = Object.entries(target.endpoints).find(([, k]) => k === key);
    if (endpoint !== undefined) return { region: endpoint[0], source: `target ${name}'s endpoint ${key} (${endpoint[0]} in the policy)` };
  }
  return { region: target.region, source: `target ${name} (${target.region} in the policy)` };
}

/** Collects, across route tables, which pinned routes use a cluster of unknown region; reported once per cluster. */
export class UnknownRegionUses {
  private readonly uses = new Map<ClusterInfo, string[]>();

  add(info: ClusterInfo, use: string): void {
    const uses = this.uses.get(info) ?? [];
    if (!uses.includes(use)) uses.push(use);
    this.uses.set(info, uses);
  }

  report(report: Report): void {
    for (const [info, uses] of this.uses) {
      const why = info.unknown?.why ?? 'its region is unknown';
      report.add(
        'cluster-region-unknown',
        info.unknown?.path ?? info.path,
        `cluster "${info.name}" serves ${uses.join('; ')}, but ${why}: the lint cannot tell which region serves them (set locality.region on each load_assignment.endpoints entry)`,
      );
    }
  }
}

export function lintRouteRegions(table: RouteTable, clusters: ReadonlyMap<string, ClusterInfo>, unknown: UnknownRegionUses, report: Report, policy: LintPolicy | undefined): void {
  for (const r of table.routes) {
    for (const t of r.targets) {
      const pin = pinOf(contextExtensions([...r.perFilter, ...t.perFilter]), r.route, policy);
      if (pin === undefined) continue;
      const verb = t.mirror ? 'mirrors it to' : 'sends it to';
      if (t.cluster === undefined) {
        report.add('cluster-region-unknown', t.path, `${r.where} pins ${pin.source}, but the request header "${t.header ?? '?'}" picks the cluster it ${verb}: any cluster, in any region`);
        continue;
      }
      const info = clusters.get(t.cluster);
      if (info === undefined) {
        report.add('cluster-region-unknown', t.path, `${r.where} pins ${pin.source} and ${verb} cluster "${t.cluster}", which is not in static_resources (CDS?): its region is unknown`);
        continue;
      }
      const elsewhere = [...regionsOf(info, clusters)].filter((region) => region !== pin.region);
      if (elsewhere.length > 0) {
        report.add('route-region-mismatch', t.path, `${r.where} pins ${pin.source}, but ${verb} cluster "${t.cluster}", which has endpoints in ${list(elsewhere)}`);
      }
      for (const part of unknownParts(info, clusters)) {
        if (typeof part === 'string') {
          report.add('cluster-region-unknown', t.path, `${r.where} pins ${pin.source} and ${verb} cluster "${t.cluster}", whose member "${part}" is not in static_resources: its region is unknown`);
        } else {
          unknown.add(part, `${r.where} (${pin.source})`);
        }
      }
    }
  }
}
