// Finds what the rules look at in a bootstrap: every HTTP connection manager with its HTTP filters
// (classified by their "@type"), the inline routes with the per-filter configs that apply to each,
// and the static clusters.
import { arr, at, isObject, isTrue, obj, str, typeName, type Json, type JsonObject, type Path } from './json.js';

export const EXT_AUTHZ_NAMESPACE = 'envoy.filters.http.ext_authz';
export const EXT_PROC_NAMESPACE = 'envoy.filters.http.ext_proc';
const HCM_NAME = 'envoy.filters.network.http_connection_manager';

export type FilterKind = 'ext_authz' | 'ext_proc' | 'rbac' | 'router' | 'other';

const KIND_BY_TYPE: Readonly<Record<string, FilterKind>> = {
  ExtAuthz: 'ext_authz',
  ExternalProcessor: 'ext_proc',
  RBAC: 'rbac',
  Router: 'router',
};
const KIND_BY_PER_ROUTE_TYPE: Readonly<Record<string, FilterKind>> = {
  ExtAuthzPerRoute: 'ext_authz',
  ExtProcPerRoute: 'ext_proc',
  RBACPerRoute: 'rbac',
};

export interface HttpFilter {
  readonly index: number;
  readonly name: string;
  readonly kind: FilterKind;
  /** typed_config (or ECDS default_config); undefined when the file does not hold it. */
  readonly config: JsonObject | undefined;
  /** Path of the http_filters entry. */
  readonly path: Path;
  /** Path of `config`. */
  readonly configPath: Path;
  /** `disabled: true` on the entry: off unless a route turns it on. */
  readonly disabled: boolean;
}

export interface ConnectionManager {
  readonly hcm: JsonObject;
  readonly path: Path;
  /** For messages: listener "ingress", filter chain 0. */
  readonly where: string;
  readonly filters: readonly HttpFilter[];
}

/** One per-filter config in effect on a route, at some level (route table, virtual host, route, weighted cluster). */
export interface PerFilterConfig {
  readonly key: string;
  readonly kind: FilterKind;
  /** The per-route message itself (FilterConfig's `config` unwrapped). */
  readonly config: JsonObject | undefined;
  readonly path: Path;
  /** Path of `config`. */
  readonly configPath: Path;
  /** ExtAuthzPerRoute / ExtProcPerRoute `disabled: true`, or FilterConfig `disabled: true`. */
  readonly disabled: boolean;
  /** Path of the `disabled` field that switched it off. */
  readonly disabledPath: Path;
  /** For messages: `route "/eu/" in virtual host "all"`, `virtual host "all"`, `the route table`. */
  readonly where: string;
}

export interface RouteTarget {
  /** A cluster name, or undefined for cluster_header (the request picks). */
  readonly cluster: string | undefined;
  readonly path: Path;
  readonly header?: string | undefined;
  /** Extra per-filter configs (weighted cluster level). */
  readonly perFilter: readonly PerFilterConfig[];
  readonly mirror: boolean;
}

export interface RouteEntry {
  readonly route: JsonObject;
  readonly path: Path;
  /** For messages: `route "/eu/" in virtual host "all"`. */
  readonly where: string;
  /** Route table, virtual host and route levels, least specific first. */
  readonly perFilter: readonly PerFilterConfig[];
  readonly targets: readonly RouteTarget[];
}

export interface RouteTable {
  readonly config: JsonObject;
  readonly path: Path;
  readonly virtualHosts: ReadonlyArray<{ readonly vhost: JsonObject; readonly path: Path }>;
  readonly routes: readonly RouteEntry[];
  /** Every typed_per_filter_config entry in the table, at any level, with no duplicates. */
  readonly allPerFilter: readonly PerFilterConfig[];
}

function classifyHttpFilter(filter: JsonObject, index: number, path: Path): HttpFilter {
  const name = str(filter, 'name') ?? '';
  let config = obj(filter, 'typed_config');
  let configPath: Path = [...path, 'typed_config'];
  let type = typeName(config);
  if (config === undefined) {
    // Extension config discovery: the type is in type_urls, the config (if any) is default_config.
    const discovery = obj(filter, 'config_discovery');
    config = obj(discovery, 'default_config');
    configPath = [...path, 'config_discovery', 'default_config'];
    const url = arr(discovery, 'type_urls').find((u): u is string => typeof u === 'string');
    type = typeName(config) ?? (url === undefined ? undefined : url.slice(url.lastIndexOf('.') + 1));
  }
  return { index, name, kind: (type !== undefined ? KIND_BY_TYPE[type] : undefined) ?? 'other', config, path, configPath, disabled: isTrue(filter, 'disabled') };
}

function isHcm(filter: Json): filter is JsonObject {
  return isObject(filter) && (str(filter, 'name') === HCM_NAME || typeName(obj(filter, 'typed_config')) === 'HttpConnectionManager');
}

export function connectionManagers(bootstrap: JsonObject): ConnectionManager[] {
  const out: ConnectionManager[] = [];
  arr(obj(bootstrap, 'static_resources'), 'listeners').forEach((listener, l) => {
    const lpath: Path = ['static_resources', 'listeners', l];
    const lname = str(listener, 'name') ?? `#${l}`;
    const chains: Array<[Json, Path, string]> = arr(listener, 'filter_chains').map((c, i) => [c, [...lpath, 'filter_chains', i], `filter chain ${i}`]);
    const fallback = obj(listener, 'default_filter_chain');
    if (fallback !== undefined) chains.push([fallback, [...lpath, 'default_filter_chain'], 'default filter chain']);
    for (const [chain, cpath, cname] of chains) {
      arr(chain, 'filters').forEach((filter, f) => {
        if (!isHcm(filter)) return;
        const hpath: Path = [...cpath, 'filters', f, 'typed_config'];
        out.push(manager(obj(filter, 'typed_config') ?? {}, hpath, `listener "${lname}", ${cname}`));
      });
    }
    // An API listener (Envoy Mobile, gRPC xDS clients) holds its HCM directly.
    const api = obj(obj(listener, 'api_listener'), 'api_listener');
    if (typeName(api) === 'HttpConnectionManager' && api !== undefined) {
      out.push(manager(api, [...lpath, 'api_listener', 'api_listener'], `listener "${lname}", api_listener`));
    }
  });
  return out;
}

function manager(hcm: JsonObject, path: Path, where: string): ConnectionManager {
  const filters = arr(hcm, 'http_filters').flatMap((f, i) => (isObject(f) ? [classifyHttpFilter(f, i, [...path, 'http_filters', i])] : []));
  return { hcm, path, where, filters };
}

function perFilterConfigs(holder: Json | undefined, holderPath: Path, filters: readonly HttpFilter[], where: string): PerFilterConfig[] {
  const typed = obj(holder, 'typed_per_filter_config');
  if (typed === undefined) return [];
  return Object.entries(typed).flatMap(([key, value]): PerFilterConfig[] => {
    if (!isObject(value)) return [];
    const path: Path = [...holderPath, 'typed_per_filter_config', key];
    const type = typeName(value);
    if (type === 'FilterConfig') {
      // envoy.config.route.v3.FilterConfig: wraps any filter's per-route config, or just disables it.
      const inner = obj(value, 'config');
      const innerType = typeName(inner);
      const kind = (innerType !== undefined ? KIND_BY_PER_ROUTE_TYPE[innerType] : undefined) ?? filters.find((f) => f.name === key)?.kind ?? 'other';
      const outer = isTrue(value, 'disabled');
      const disabled = outer || isTrue(inner, 'disabled');
      return [{ key, kind, config: inner, path, configPath: [...path, 'config'], disabled, disabledPath: outer ? [...path, 'disabled'] : [...path, 'config', 'disabled'], where }];
    }
    const kind = (type !== undefined ? KIND_BY_PER_ROUTE_TYPE[type] : undefined) ?? filters.find((f) => f.name === key)?.kind ?? 'other';
    return [{ key, kind, config: value, path, configPath: path, disabled: isTrue(value, 'disabled'), disabledPath: [...path, 'disabled'], where }];
  });
}

function describeMatch(route: Json): string {
  const match = obj(route, 'match');
  for (const key of ['prefix', 'path', 'path_separated_prefix']) {
    const v = str(match, key);
    if (v !== undefined) return `"${v}"`;
  }
  const regex = str(obj(match, 'safe_regex'), 'regex');
  if (regex !== undefined) return `regex "${regex}"`;
  const name = str(route, 'name');
  return name !== undefined ? `"${name}"` : '(no prefix)';
}

export function routeTable(cm: ConnectionManager): RouteTable | undefined {
  const config = obj(cm.hcm, 'route_config');
  if (config === undefined) return undefined;
  const path: Path = [...cm.path, 'route_config'];
  const tableLevel = perFilterConfigs(config, path, cm.filters, `route table of ${cm.where}`);
  const virtualHosts: Array<{ vhost: JsonObject; path: Path }> = [];
  const routes: RouteEntry[] = [];
  const allPerFilter = [...tableLevel];
  arr(config, 'virtual_hosts').forEach((vhost, v) => {
    if (!isObject(vhost)) return;
    const vpath: Path = [...path, 'virtual_hosts', v];
    virtualHosts.push({ vhost, path: vpath });
    const vname = str(vhost, 'name') ?? `#${v}`;
    const vhostLevel = perFilterConfigs(vhost, vpath, cm.filters, `virtual host "${vname}"`);
    allPerFilter.push(...vhostLevel);
    const vhostMirrors = mirrorTargets(vhost, vpath);
    arr(vhost, 'routes').forEach((route, r) => {
      if (!isObject(route)) return;
      const rpath: Path = [...path, 'virtual_hosts', v, 'routes', r];
      const where = `route ${describeMatch(route)} in virtual host "${vname}"`;
      const routeLevel = perFilterConfigs(route, rpath, cm.filters, where);
      allPerFilter.push(...routeLevel);
      const action = obj(route, 'route');
      const apath: Path = [...rpath, 'route'];
      const targets: RouteTarget[] = [];
      if (action !== undefined) {
        const cluster = str(action, 'cluster');
        if (cluster !== undefined) targets.push({ cluster, path: [...apath, 'cluster'], perFilter: [], mirror: false });
        const header = str(action, 'cluster_header');
        if (header !== undefined) targets.push({ cluster: undefined, header, path: [...apath, 'cluster_header'], perFilter: [], mirror: false });
        arr(obj(action, 'weighted_clusters'), 'clusters').forEach((wc, w) => {
          const wpath: Path = [...apath, 'weighted_clusters', 'clusters', w];
          const perFilter = perFilterConfigs(wc, wpath, cm.filters, `weighted cluster ${w} of ${where}`);
          allPerFilter.push(...perFilter);
          const name = str(wc, 'name');
          const wheader = str(wc, 'cluster_header');
          if (name !== undefined) targets.push({ cluster: name, path: [...wpath, 'name'], perFilter, mirror: false });
          else if (wheader !== undefined) targets.push({ cluster: undefined, header: wheader, path: [...wpath, 'cluster_header'], perFilter, mirror: false });
        });
        targets.push(...mirrorTargets(action, apath), ...vhostMirrors);
      }
      routes.push({ route, path: rpath, where, perFilter: [...tableLevel, ...vhostLevel, ...routeLevel], targets });
    });
  });
  return { config, path, virtualHosts, routes, allPerFilter };
}

function mirrorTargets(holder: JsonObject, holderPath: Path): RouteTarget[] {
  return arr(holder, 'request_mirror_policies').flatMap((m, i): RouteTarget[] => {
    const cluster = str(m, 'cluster');
    const header = str(m, 'cluster_header');
    const path: Path = [...holderPath, 'request_mirror_policies', i];
    if (cluster !== undefined) return [{ cluster, path: [...path, 'cluster'], perFilter: [], mirror: true }];
    if (header !== undefined) return [{ cluster: undefined, header, path: [...path, 'cluster_header'], perFilter: [], mirror: true }];
    return [];
  });
}

/** The route's x-residency-route header value, when it matches one exactly (a reroute endpoint route). */
export function rerouteKey(route: JsonObject): string | undefined {
  for (const h of arr(obj(route, 'match'), 'headers')) {
    if (str(h, 'name')?.toLowerCase() !== 'x-residency-route') continue;
    const exact = str(obj(h, 'string_match'), 'exact') ?? str(h, 'exact_match');
    if (exact !== undefined) return exact;
  }
  return undefined;
}

export function matchesRerouteHeader(route: JsonObject): boolean {
  return arr(obj(route, 'match'), 'headers').some((h) => str(h, 'name')?.toLowerCase() === 'x-residency-route');
}

/** context_extensions in effect (ExtAuthzPerRoute merges them, the more specific level winning). */
export function contextExtensions(perFilter: readonly PerFilterConfig[]): Record<string, string> {
  const merged: Record<string, string> = {};
  for (const pf of perFilter) {
    if (pf.kind !== 'ext_authz') continue;
    const ext = at(pf.config, 'check_settings', 'context_extensions');
    if (!isObject(ext)) continue;
    for (const [k, v] of Object.entries(ext)) if (typeof v === 'string') merged[k] = v;
  }
  return merged;
}
