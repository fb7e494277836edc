// The Envoy configs of the benchmark, all rendered from envoy/envoy.yaml by the tests' renderer
// (test/support/envoy-config.ts: addresses only), then changed here in the one place each variant
// is about — the HTTP filter chain — so everything else (listener, HCM settings, routes and their
// context_extensions, clusters) is what users deploy.
//
//   none              router only: the baseline every "added latency" is measured against
//   authz             ext_authz → the cluster `residency_gate` (pointed at residency-gate, or at the
//                     OPA peer: the same config for both), then router
//   native            Envoy's own jwt_authn (local_jwks of the bench issuer, payload_in_metadata)
//                     and rbac (the payload's region claim must equal the route's region): the
//                     in-process lower bound, no external call
//   extproc-headers   envoy/envoy.yaml as is (ext_authz, ext_proc, rbac, router) but ext_proc
//                     without bodies (request/response_body_mode NONE)
//   extproc-streamed  envoy/envoy.yaml as is: STREAMED bodies
//   extproc-buffered  envoy/envoy.yaml with BUFFERED bodies; the listener's buffer limit raised
//                     to 8 MiB so that a 1 MiB body fits (Envoy's default limit is 1 MiB)
import { readFile } from 'node:fs/promises';
import { isMap, isSeq, parseDocument, type Document } from 'yaml';
import { ENVOY_NAMES, renderEnvoyConfig } from '../../test/support/envoy-config.js';
import { AUDIENCE, ISSUER } from '../../test/support/issuer.js';
import { ROUTE } from './fixtures.js';

export type EnvoyVariant = 'none' | 'authz' | 'native' | 'extproc-headers' | 'extproc-streamed' | 'extproc-buffered';

export interface VariantOptions {
  readonly variant: EnvoyVariant;
  /** The port of the `residency_gate` cluster (residency-gate, or the OPA peer for `authz`). */
  readonly authzPort: number;
  readonly upstreamPort: number;
  /** The bench issuer's JWKS file (for `native`). */
  readonly jwksFile: string;
}

const HCM = ['filter_chains', 0, 'filters', 0, 'typed_config'] as const;
const NATIVE_METADATA_KEY = 'jwt_payload';

function listenerPath(doc: Document): (string | number)[] {
  const listeners: unknown = doc.getIn(['static_resources', 'listeners'], true);
  if (!isSeq(listeners)) throw new Error('envoy.yaml: static_resources.listeners is not a list');
  const index = listeners.items.findIndex((l) => isMap(l) && l.get('name') === ENVOY_NAMES.listener);
  if (index < 0) throw new Error(`envoy.yaml: no listener named ${ENVOY_NAMES.listener}`);
  return ['static_resources', 'listeners', index];
}

function filterChain(doc: Document, listener: (string | number)[]): Array<Record<string, unknown>> {
  const node: unknown = doc.getIn([...listener, ...HCM, 'http_filters'], true);
  if (!isSeq(node)) throw new Error('envoy.yaml: the ingress listener has no http_filters list');
  return node.toJSON() as Array<Record<string, unknown>>;
}

function pick(chain: Array<Record<string, unknown>>, name: string): Record<string, unknown> {
  const filter = chain.find((f) => f.name === name);
  if (!filter) throw new Error(`envoy.yaml: no HTTP filter ${name} (bench/lib/envoy-variants.ts expects the layout of envoy/envoy.yaml)`);
  return filter;
}

function setBodyModes(filter: Record<string, unknown>, mode: 'NONE' | 'STREAMED' | 'BUFFERED'): void {
  const config = filter.typed_config as { processing_mode?: Record<string, unknown> };
  if (!config.processing_mode) throw new Error('envoy.yaml: ext_proc has no processing_mode');
  config.processing_mode.request_body_mode = mode;
  config.processing_mode.response_body_mode = mode;
}

async function nativeFilters(jwksFile: string): Promise<Array<Record<string, unknown>>> {
  const jwks = await readFile(jwksFile, 'utf8');
  return [
    {
      name: 'envoy.filters.http.jwt_authn',
      typed_config: {
        '@type': 'type.googleapis.com/envoy.extensions.filters.http.jwt_authn.v3.JwtAuthentication',
        providers: {
          bench: {
            issuer: ISSUER,
            audiences: [AUDIENCE],
            local_jwks: { inline_string: jwks },
            payload_in_metadata: NATIVE_METADATA_KEY,
            forward: true,
          },
        },
        rules: [{ match: { prefix: '/' }, requires: { provider_name: 'bench' } }],
      },
    },
    {
      // Default for routes without their own rules: ALLOW with no policy, i.e. deny everything.
      name: 'envoy.filters.http.rbac',
      typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.rbac.v3.RBAC', rules: { action: 'ALLOW', policies: {} } },
    },
  ];
}

/** Per-route rbac for the /eu/ route: allow only when the verified token's region is the route's region. */
function nativeRouteRbac(region: string): Record<string, unknown> {
  return {
    '@type': 'type.googleapis.com/envoy.extensions.filters.http.rbac.v3.RBACPerRoute',
    rbac: {
      rules: {
        action: 'ALLOW',
        policies: {
          'token-region-is-route-region': {
            permissions: [{ any: true }],
            principals: [
              {
                // Principal.metadata is deprecated in Envoy 1.40; sourced_metadata reads the same dynamic metadata.
                sourced_metadata: {
                  metadata_matcher: {
                    filter: 'envoy.filters.http.jwt_authn',
                    path: [{ key: NATIVE_METADATA_KEY }, { key: 'region' }],
                    value: { string_match: { exact: region } },
                  },
                },
              },
            ],
          },
        },
      },
    },
  };
}

/** Adds per-route rbac to the route with ROUTE's prefix (/eu/). */
function addRouteRbac(doc: Document, listener: (string | number)[]): void {
  const routesPath = [...listener, ...HCM, 'route_config', 'virtual_hosts', 0, 'routes'];
  const node: unknown = doc.getIn(routesPath, true);
  if (!isSeq(node)) throw new Error('envoy.yaml: no routes list in the first virtual host');
  const routes = node.toJSON() as Array<{ match?: { prefix?: string } }>;
  const prefix = `/${ROUTE.path.split('/')[1]}/`;
  const index = routes.findIndex((r) => r.match?.prefix === prefix);
  if (index < 0) throw new Error(`envoy.yaml: no route with prefix ${prefix}`);
  doc.setIn([...routesPath, index, 'typed_per_filter_config', 'envoy.filters.http.rbac'], doc.createNode(nativeRouteRbac(ROUTE.region)));
}

export async function renderVariant(options: VariantOptions): Promise<string> {
  const base = renderEnvoyConfig({
    listenerPort: 0,
    adminPort: 0,
    authzPort: options.authzPort,
    upstreams: { eu: options.upstreamPort, us: options.upstreamPort },
  });
  const doc = parseDocument(base);
  const listener = listenerPath(doc);
  const chain = filterChain(doc, listener);
  const router = pick(chain, 'envoy.filters.http.router');
  let filters: Array<Record<string, unknown>>;
  switch (options.variant) {
    case 'none':
      filters = [router];
      break;
    case 'authz':
      filters = [pick(chain, 'envoy.filters.http.ext_authz'), router];
      break;
    case 'native':
      filters = [...(await nativeFilters(options.jwksFile)), router];
      addRouteRbac(doc, listener);
      break;
    case 'extproc-headers':
      filters = chain;
      setBodyModes(pick(chain, 'envoy.filters.http.ext_proc'), 'NONE');
      break;
    case 'extproc-streamed':
      filters = chain;
      setBodyModes(pick(chain, 'envoy.filters.http.ext_proc'), 'STREAMED');
      break;
    case 'extproc-buffered':
      filters = chain;
      setBodyModes(pick(chain, 'envoy.filters.http.ext_proc'), 'BUFFERED');
      doc.setIn([...listener, 'per_connection_buffer_limit_bytes'], 8 * 1024 * 1024);
      break;
  }
  doc.setIn([...listener, ...HCM, 'http_filters'], doc.createNode(filters));
  return doc.toString();
}
