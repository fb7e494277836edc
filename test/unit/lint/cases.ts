// lint-envoy edge cases: clean.yaml with one change each, and exactly what lint-envoy reports.
// test/unit/lint/rules.test.ts checks the findings; test/e2e/lint-envoy.test.ts checks that Envoy
// accepts every one of these configs (the lint is about meaning, not syntax).
import { C, EXT_AUTHZ, EXT_PROC, F, HCM, loadFixture, R, RT, VH, type Expected } from './support.js';

type Obj = Record<string, unknown>;

export interface LintCase {
  readonly name: string;
  readonly config: Obj;
  readonly expected: readonly Expected[];
  /** Lint with the test policy (test/fixtures/envoy/policy/residency-gate.yaml). */
  readonly policy?: boolean;
}

const T = (type: string): string => `type.googleapis.com/${type}`;

function get(root: unknown, path: ReadonlyArray<string | number>): Obj {
  let cur = root as Obj;
  for (const k of path) {
    cur = (cur as Record<string | number, unknown>)[k] as Obj;
    if (cur === undefined) throw new Error(`no ${path.join('.')}`);
  }
  return cur;
}
const list = (root: unknown, path: ReadonlyArray<string | number>): unknown[] => get(root, path) as unknown as unknown[];

const HCM_PATH = ['static_resources', 'listeners', 0, 'filter_chains', 0, 'filters', 0, 'typed_config'];
const hcm = (c: Obj): Obj => get(c, HCM_PATH);
const filters = (c: Obj): Obj[] => list(c, [...HCM_PATH, 'http_filters']) as Obj[];
const filter = (c: Obj, i: number): Obj => get(filters(c)[i], ['typed_config']);
const vhost = (c: Obj): Obj => get(c, [...HCM_PATH, 'route_config', 'virtual_hosts', 0]);
const route = (c: Obj, i: number): Obj => (list(vhost(c), ['routes']) as Obj[])[i]!;
const clusters = (c: Obj): Obj[] => list(c, ['static_resources', 'clusters']) as Obj[];
const perFilter = (o: Obj): Obj => ((o.typed_per_filter_config ??= {}) as Obj);

const xdsSource = { resource_api_version: 'V3', api_config_source: { api_type: 'GRPC', transport_api_version: 'V3', grpc_services: [{ envoy_grpc: { cluster_name: 'xds' } }] } };
function addXds(c: Obj): void {
  c.node = { id: 'lint-case', cluster: 'lint-case' };
  clusters(c).push({
    name: 'xds',
    type: 'STATIC',
    connect_timeout: '1s',
    typed_extension_protocol_options: {
      'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': { '@type': T('envoy.extensions.upstreams.http.v3.HttpProtocolOptions'), explicit_http_config: { http2_protocol_options: {} } },
    },
    load_assignment: { cluster_name: 'xds', endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: '127.0.0.1', port_value: 18000 } } } }] }] },
  });
}
const extProcOff = { '@type': T('envoy.extensions.filters.http.ext_proc.v3.ExtProcPerRoute'), disabled: true };
const removeGuard = (c: Obj): void => void filters(c).splice(2, 1);
const GRACEFUL_CLOSE = 'envoy.reloadable_features.ext_proc_graceful_grpc_close';
const runtimeLayers = (c: Obj): Obj[] => list(c, ['layered_runtime', 'layers']) as Obj[];

function variant(name: string, change: (c: Obj) => void, expected: readonly Expected[], policy = false): LintCase {
  const config = loadFixture('clean.yaml');
  change(config);
  return { name, config, expected, policy };
}

export const CASES: readonly LintCase[] = [
  variant('ext_authz filter disabled by default', (c) => void (filters(c)[0]!.disabled = true), [['ext-authz-missing', 'error', `${F(0)}.disabled`]]),
  variant('ext_authz through http_service names its cluster', (c) => {
    const authz = filter(c, 0);
    delete authz.grpc_service;
    authz.http_service = { server_uri: { uri: 'http://127.0.0.1:9191', cluster: 'residency_gate', timeout: '0.5s' } };
  }, []),
  variant('ext_proc filter disabled by default (the guard is there)', (c) => void (filters(c)[1]!.disabled = true), [['ext-proc-missing', 'warning', `${F(1)}.disabled`]]),
  variant('no ext_proc and no guard, under a policy making allow-masked decisions', (c) => void filters(c).splice(1, 2), [['ext-proc-missing', 'error', `${HCM}.http_filters`]], true),
  variant('no ext_proc and no guard, without a policy', (c) => void filters(c).splice(1, 2), [['ext-proc-missing', 'warning', `${HCM}.http_filters`]]),
  variant('FilterConfig switches ext_authz off for a virtual host', (c) => {
    perFilter(vhost(c))['envoy.filters.http.ext_authz'] = { '@type': T('envoy.config.route.v3.FilterConfig'), disabled: true };
  }, [['per-route-disabled', 'error', `${VH}.typed_per_filter_config${EXT_AUTHZ}.disabled`]]),
  variant('ExtProcPerRoute switches ext_proc off for the whole route table', (c) => {
    perFilter(get(c, [...HCM_PATH, 'route_config']))['envoy.filters.http.ext_proc'] = extProcOff;
  }, [['per-route-disabled', 'warning', `${RT}.typed_per_filter_config${EXT_PROC}.disabled`]]),
  variant('ext_proc off on a route without the guard, under a policy making allow-masked decisions', (c) => {
    removeGuard(c);
    perFilter(route(c, 0))['envoy.filters.http.ext_proc'] = extProcOff;
  }, [
    ['rbac-guard-missing', 'warning', `${HCM}.http_filters`],
    ['per-route-disabled', 'error', `${R(0)}.typed_per_filter_config${EXT_PROC}.disabled`],
  ], true),
  variant('ext_proc off on a route without the guard, without a policy', (c) => {
    removeGuard(c);
    perFilter(route(c, 0))['envoy.filters.http.ext_proc'] = extProcOff;
  }, [
    ['rbac-guard-missing', 'warning', `${HCM}.http_filters`],
    ['per-route-disabled', 'warning', `${R(0)}.typed_per_filter_config${EXT_PROC}.disabled`],
  ]),
  variant('RBACPerRoute drops the guard on the route that switches ext_proc off', (c) => {
    perFilter(route(c, 0))['envoy.filters.http.ext_proc'] = extProcOff;
    perFilter(route(c, 0))['envoy.filters.http.rbac'] = { '@type': T('envoy.extensions.filters.http.rbac.v3.RBACPerRoute') };
  }, [['per-route-disabled', 'error', `${R(0)}.typed_per_filter_config${EXT_PROC}.disabled`]], true),
  variant('the guard runs before ext_authz', (c) => {
    const [guard] = filters(c).splice(2, 1);
    filters(c).unshift(guard as Obj);
  }, [['rbac-guard-missing', 'warning', F(0)]]),
  variant('the guard only in shadow_rules', (c) => {
    const rbac = filter(c, 2);
    rbac.shadow_rules = rbac.rules;
    delete rbac.rules;
  }, [['rbac-guard-missing', 'warning', `${HCM}.http_filters`]]),
  variant('the guard matching the decision only under not_rule', (c) => {
    const policy = get(filter(c, 2), ['rules', 'policies', 'allow-masked-needs-ext-proc']);
    const and = get(policy, ['permissions', 0, 'and_rules', 'rules']) as unknown as Obj[];
    policy.permissions = [{ not_rule: and[0] }];
  }, [['rbac-guard-missing', 'warning', `${HCM}.http_filters`]]),
  variant('the guard written with the deprecated Permission.metadata', (c) => {
    const and = list(filter(c, 2), ['rules', 'policies', 'allow-masked-needs-ext-proc', 'permissions', 0, 'and_rules', 'rules']) as Obj[];
    and[0] = { metadata: get(and[0], ['sourced_metadata', 'metadata_matcher']) };
  }, []),
  variant('the guard reading the decision from the route metadata', (c) => {
    const and = list(filter(c, 2), ['rules', 'policies', 'allow-masked-needs-ext-proc', 'permissions', 0, 'and_rules', 'rules']) as Obj[];
    get(and[0], ['sourced_metadata']).metadata_source = 'ROUTE';
  }, [['rbac-guard-missing', 'warning', `${HCM}.http_filters`]]),
  variant('a pinned route weighted across regions', (c) => {
    route(c, 0).route = { weighted_clusters: { clusters: [{ name: 'upstream_eu', weight: 90 }, { name: 'upstream_us', weight: 10 }] } };
  }, [['route-region-mismatch', 'error', `${R(0)}.route.weighted_clusters.clusters[1].name`]]),
  variant('a pinned route mirrored to another region', (c) => {
    get(route(c, 0), ['route']).request_mirror_policies = [{ cluster: 'upstream_us' }];
  }, [['route-region-mismatch', 'error', `${R(0)}.route.request_mirror_policies[0].cluster`]]),
  variant('a pinned route whose cluster a request header picks', (c) => void (route(c, 0).route = { cluster_header: 'x-upstream' }), [
    ['cluster-region-unknown', 'warning', `${R(0)}.route.cluster_header`],
  ]),
  variant('a pinned route to a cluster not in the file', (c) => {
    get(c, [...HCM_PATH, 'route_config']).validate_clusters = false;
    route(c, 0).route = { cluster: 'from_cds' };
  }, [['cluster-region-unknown', 'warning', `${R(0)}.route.cluster`]]),
  variant('a pinned route to an EDS cluster', (c) => {
    addXds(c);
    const us = clusters(c)[2]!;
    us.type = 'EDS';
    us.eds_cluster_config = { eds_config: xdsSource };
    delete us.load_assignment;
  }, [['cluster-region-unknown', 'warning', `${C(2)}.type`]]),
  variant('a locality region the policy does not know', (c) => {
    get(clusters(c)[1], ['load_assignment', 'endpoints', 0, 'locality']).region = 'europe-west1';
  }, [
    ['route-region-mismatch', 'error', `${R(0)}.route.cluster`],
    ['route-region-mismatch', 'error', `${R(2)}.route.cluster`],
    ['cluster-region-unknown', 'warning', `${C(1)}.load_assignment.endpoints[0].locality.region`],
  ], true),
  variant('locality-weighted balancing across regions', (c) => {
    const eu = clusters(c)[1]!;
    eu.common_lb_config = { locality_weighted_lb_config: {} };
    const endpoints = list(eu, ['load_assignment', 'endpoints']) as Obj[];
    for (const e of endpoints) e.load_balancing_weight = 1;
    endpoints.push({ locality: { region: 'eu-central-1' }, load_balancing_weight: 1, lb_endpoints: [{ endpoint: { address: { socket_address: { address: '127.0.0.1', port_value: 8083 } } } }] });
  }, [
    ['route-region-mismatch', 'error', `${R(0)}.route.cluster`],
    ['cross-region-cluster', 'error', `${C(1)}.load_assignment.endpoints[1].locality.region`],
  ]),
  variant('generate_request_id: false', (c) => void (hcm(c).generate_request_id = false), [['request-id-from-client', 'warning', `${HCM}.generate_request_id`]]),
  variant('no layered_runtime: Envoy resets every ext_proc stream', (c) => void delete c.layered_runtime, [['ext-proc-stream-resets', 'warning', 'layered_runtime']]),
  variant('a later static layer turns graceful close off', (c) => {
    runtimeLayers(c).push({ name: 'override', static_layer: { [GRACEFUL_CLOSE]: false } });
  }, [['ext-proc-stream-resets', 'warning', `layered_runtime.layers[1].static_layer["${GRACEFUL_CLOSE}"]`]]),
  variant('a later static layer turns graceful close back on', (c) => {
    runtimeLayers(c).push({ name: 'turned-off', static_layer: { [GRACEFUL_CLOSE]: false } }, { name: 'turned-on', static_layer: { [GRACEFUL_CLOSE]: 'true' } });
  }, []),
  variant('graceful close as nested keys, the string "true"', (c) => {
    runtimeLayers(c)[0] = { name: 'static', static_layer: { envoy: { reloadable_features: { ext_proc_graceful_grpc_close: 'true' } } } };
  }, []),
  variant('runtime layers, none setting graceful close (an admin layer cannot be read)', (c) => {
    c.layered_runtime = { layers: [{ name: 'static', static_layer: { 're2.max_program_size.error_level': 200 } }, { name: 'admin', admin_layer: {} }] };
  }, [['ext-proc-stream-resets', 'warning', 'layered_runtime.layers']]),
  variant('ext_proc disabled by default, no runtime layer, no route turning it on', (c) => {
    delete c.layered_runtime;
    filters(c)[1]!.disabled = true;
  }, [['ext-proc-missing', 'warning', `${F(1)}.disabled`]]),
  variant('ext_proc disabled by default and turned on by a route, no runtime layer', (c) => {
    delete c.layered_runtime;
    filters(c)[1]!.disabled = true;
    // Any per-route config for a filter that is disabled in http_filters turns it on there.
    perFilter(route(c, 0))['envoy.filters.http.ext_proc'] = { '@type': T('envoy.extensions.filters.http.ext_proc.v3.ExtProcPerRoute'), overrides: { async_mode: false } };
  }, [['ext-proc-missing', 'warning', `${F(1)}.disabled`], ['ext-proc-stream-resets', 'warning', 'layered_runtime']]),
  variant('filter_enabled with deny_at_disable', (c) => {
    Object.assign(filter(c, 0), {
      filter_enabled: { default_value: { numerator: 50, denominator: 'HUNDRED' }, runtime_key: 'residency.ext_authz.enabled' },
      deny_at_disable: { default_value: true, runtime_key: 'residency.ext_authz.deny_at_disable' },
    });
  }, []),
  variant('filter_enabled_metadata without deny_at_disable', (c) => {
    filter(c, 0).filter_enabled_metadata = { filter: 'envoy.filters.http.header_to_metadata', path: [{ key: 'check' }], value: { bool_match: true } };
  }, [['filter-enabled-fraction', 'error', `${F(0)}.typed_config.filter_enabled_metadata`]]),
  variant('ext_proc status_on_error by name (OK)', (c) => void (filter(c, 1).status_on_error = { code: 'OK' }), [['status-on-error', 'error', `${F(1)}.typed_config.status_on_error.code`]]),
  variant('ext_proc overrides replacing metadata_options without the ext_authz namespace', (c) => {
    perFilter(route(c, 1))['envoy.filters.http.ext_proc'] = {
      '@type': T('envoy.extensions.filters.http.ext_proc.v3.ExtProcPerRoute'),
      overrides: { metadata_options: { receiving_namespaces: { untyped: ['envoy.filters.http.ext_proc'] } } },
    };
  }, [['ext-proc-no-metadata', 'error', `${R(1)}.typed_per_filter_config${EXT_PROC}.overrides.metadata_options.forwarding_namespaces.untyped`]]),
  variant('ext_proc forwarding the namespace under typed only', (c) => {
    get(filter(c, 1), ['metadata_options']).forwarding_namespaces = { typed: ['envoy.filters.http.ext_authz'] };
  }, [['ext-proc-no-metadata', 'error', `${F(1)}.typed_config.metadata_options.forwarding_namespaces.untyped`]]),
  variant('x-residency-* headers from the route table and a weighted cluster', (c) => {
    get(c, [...HCM_PATH, 'route_config']).request_headers_to_add = [{ header: { key: 'x-residency-route', value: 'llm-eu' } }];
    route(c, 1).route = { weighted_clusters: { clusters: [{ name: 'upstream_us', weight: 100, request_headers_to_add: [{ header: { key: 'x-residency-region', value: 'us-east-1' } }] }] } };
  }, [
    ['x-residency-header-from-route', 'error', `${RT}.request_headers_to_add[0].header.key`],
    ['x-residency-header-from-route', 'error', `${R(1)}.route.weighted_clusters.clusters[0].request_headers_to_add[0].header.key`],
  ]),
  variant('no reroute routes: clear_route_cache is not needed', (c) => {
    list(vhost(c), ['routes']).splice(2, 2); // the two routes matching x-residency-route
    filter(c, 0).clear_route_cache = false;
  }, []),
  variant('a second listener without ext_authz or ext_proc', (c) => {
    list(c, ['static_resources', 'listeners']).push({
      name: 'internal',
      address: { socket_address: { address: '127.0.0.1', port_value: 10001 } },
      filter_chains: [{
        filters: [{
          name: 'envoy.filters.network.http_connection_manager',
          typed_config: {
            '@type': T('envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager'),
            stat_prefix: 'internal_http',
            route_config: { virtual_hosts: [{ name: 'all', domains: ['*'], routes: [{ match: { prefix: '/' }, route: { cluster: 'upstream_eu' } }] }] },
            http_filters: [{ name: 'envoy.filters.http.router', typed_config: { '@type': T('envoy.extensions.filters.http.router.v3.Router') } }],
          },
        }],
      }],
    });
  }, [
    ['ext-authz-missing', 'error', 'static_resources.listeners[1].filter_chains[0].filters[0].typed_config.http_filters'],
    ['ext-proc-missing', 'warning', 'static_resources.listeners[1].filter_chains[0].filters[0].typed_config.http_filters'],
  ]),
];
