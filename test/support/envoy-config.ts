// Renders the Envoy config for end-to-end tests from the user-facing envoy/envoy.yaml, so that the
// tests exercise the very file users deploy. Only addresses change; everything else (filters,
// routes, context_extensions, fail-closed settings) is taken as is. The rewrite walks the YAML
// structure and fails loudly if a place it expects has moved, rather than leaving a default port in.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { isMap, isScalar, isSeq, parseDocument, type Document, type YAMLMap } from 'yaml';

/** The reference config users read and adapt. */
export const ENVOY_YAML_PATH = fileURLToPath(new URL('../../envoy/envoy.yaml', import.meta.url));

/** The ports envoy/envoy.yaml documents and uses. */
export const ENVOY_DEFAULT_PORTS = {
  listener: 10000,
  admin: 9901,
  authz: 9191,
  eu: 8081,
  us: 8082,
} as const;

/** Names in envoy/envoy.yaml that the renderer relies on. */
export const ENVOY_NAMES = {
  listener: 'ingress',
  authzCluster: 'residency_gate',
  extProcCluster: 'residency_gate_ext_proc',
  euCluster: 'upstream_eu',
  usCluster: 'upstream_us',
} as const;

export interface RenderEnvoyConfigOptions {
  /** 0 lets Envoy choose; test/support/envoy.ts reads the bound port back. */
  listenerPort: number;
  /** 0 lets Envoy choose; test/support/envoy.ts reads the bound port back. */
  adminPort: number;
  /** residency-gate's gRPC port (ext_authz). */
  authzPort: number;
  upstreams: { eu: number; us: number };
  /** Only for a source file that has a `residency_gate_ext_proc` cluster. */
  extProcPort?: number;
  /** Address the listener binds; default 127.0.0.1 (the file says 0.0.0.0). */
  listenerAddress?: string;
  /**
   * Overrides ext_authz's timeout, for tests that assert what answers a request (not that it is
   * answered in time): on a loaded machine a Check can outlast 0.5 s and Envoy's own 403 comes instead.
   */
  checkTimeout?: string;
  /** Source file; default envoy/envoy.yaml. */
  source?: string;
}

type Path = readonly (string | number)[];

function fail(source: string, path: Path, message: string): never {
  throw new Error(`${source}: ${path.join('.')}: ${message} (test/support/envoy-config.ts expects the layout of envoy/envoy.yaml)`);
}

function mapAt(doc: Document, source: string, path: Path): YAMLMap {
  const node: unknown = path.length === 0 ? doc.contents : doc.getIn(path, true);
  if (!isMap(node)) fail(source, path, 'expected a mapping');
  return node;
}

/** Sets `<path>.socket_address.port_value` (and optionally `.address`), insisting it exists. */
function setSocketAddress(doc: Document, source: string, path: Path, port: number, address?: string): void {
  const socketPath = [...path, 'socket_address'];
  const current: unknown = doc.getIn([...socketPath, 'port_value'], true);
  if (!isScalar(current) || typeof current.value !== 'number') fail(source, socketPath, 'expected a socket_address with a numeric port_value');
  doc.setIn([...socketPath, 'port_value'], port);
  if (address !== undefined) doc.setIn([...socketPath, 'address'], address);
}

function findNamed(doc: Document, source: string, listPath: Path, name: string): number {
  const list: unknown = doc.getIn(listPath, true);
  if (!isSeq(list)) fail(source, listPath, 'expected a list');
  const index = list.items.findIndex((item) => isMap(item) && item.get('name') === name);
  if (index < 0) fail(source, listPath, `no entry named ${name}`);
  return index;
}

/** Points every endpoint of the named cluster at 127.0.0.1:<port>. */
function setClusterPort(doc: Document, source: string, cluster: string, port: number): void {
  const clusterPath = ['static_resources', 'clusters', findNamed(doc, source, ['static_resources', 'clusters'], cluster)];
  const endpointsPath = [...clusterPath, 'load_assignment', 'endpoints'];
  const endpoints: unknown = doc.getIn(endpointsPath, true);
  if (!isSeq(endpoints) || endpoints.items.length === 0) fail(source, endpointsPath, `cluster ${cluster} has no load_assignment endpoints`);
  let count = 0;
  endpoints.items.forEach((_, i) => {
    const lbPath = [...endpointsPath, i, 'lb_endpoints'];
    const lb: unknown = doc.getIn(lbPath, true);
    if (!isSeq(lb)) fail(source, lbPath, 'expected a list');
    lb.items.forEach((__, j) => {
      setSocketAddress(doc, source, [...lbPath, j, 'endpoint', 'address'], port, '127.0.0.1');
      count += 1;
    });
  });
  if (count === 0) fail(source, endpointsPath, `cluster ${cluster} has no endpoints`);
}

export function renderEnvoyConfig(options: RenderEnvoyConfigOptions): string {
  const source = options.source ?? ENVOY_YAML_PATH;
  const doc = parseDocument(readFileSync(source, 'utf8'), { prettyErrors: true });
  if (doc.errors.length > 0) throw new Error(`${source}: ${doc.errors.map((e) => e.message).join('\n')}`);
  mapAt(doc, source, []);

  setSocketAddress(doc, source, ['admin', 'address'], options.adminPort, '127.0.0.1');

  const listenersPath = ['static_resources', 'listeners'];
  const listener = findNamed(doc, source, listenersPath, ENVOY_NAMES.listener);
  setSocketAddress(doc, source, [...listenersPath, listener, 'address'], options.listenerPort, options.listenerAddress ?? '127.0.0.1');

  setClusterPort(doc, source, ENVOY_NAMES.authzCluster, options.authzPort);
  setClusterPort(doc, source, ENVOY_NAMES.euCluster, options.upstreams.eu);
  setClusterPort(doc, source, ENVOY_NAMES.usCluster, options.upstreams.us);
  if (options.extProcPort !== undefined) setClusterPort(doc, source, ENVOY_NAMES.extProcCluster, options.extProcPort);
  if (options.checkTimeout !== undefined) setCheckTimeout(doc, source, options.checkTimeout);

  return doc.toString();
}

/** The ext_authz filter's grpc_service timeout (0.5 s in envoy.yaml). */
function setCheckTimeout(doc: Document, source: string, timeout: string): void {
  const filtersPath = ['static_resources', 'listeners', 0, 'filter_chains', 0, 'filters', 0, 'typed_config', 'http_filters'];
  const filters = doc.getIn(filtersPath, true);
  if (!isSeq(filters)) fail(source, filtersPath, 'expected the http_filters list');
  const index = filters.items.findIndex((f) => isMap(f) && f.get('name') === 'envoy.filters.http.ext_authz');
  if (index < 0) fail(source, filtersPath, 'no envoy.filters.http.ext_authz filter');
  doc.setIn([...filtersPath, index, 'typed_config', 'grpc_service', 'timeout'], timeout);
}
