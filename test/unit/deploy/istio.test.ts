// envoy/istio: the pieces refer to each other correctly (provider names, the Service's name, port
// and Istio cluster name, selectors, hosts, ports), the ext_proc EnvoyFilter carries envoy.yaml's
// settings, the meshConfig values use fields Istio's MeshConfig has, and residency-gate's own
// config (the ConfigMap) is valid and serves on the port everything else uses.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/config/load.js';
import { at, extProcEssentials, httpFilter, list, loadSchemaIndex, loadYaml, loadYamlDocuments, nameOf, namespaceOf, obj, one, type Json, type JsonObject, type Manifest, type SchemaIndex } from './support.js';

const load = (f: string): Manifest[] => loadYamlDocuments(`envoy/istio/${f}`);
const core = load('residency-gate.yaml');
const configMap = one(load('residency-gate-config.yaml'), 'v1/ConfigMap');
const authzPolicy = one(load('authorization-policy.yaml'), 'security.istio.io/v1/AuthorizationPolicy');
const envoyFilter = one(load('ext-proc-envoyfilter.yaml'), 'networking.istio.io/v1alpha3/EnvoyFilter');
const egress = load('egress-llm.yaml');
const access = load('residency-gate-access.yaml');
const meshValues = loadYaml('envoy/istio/mesh-config.yaml');

const service = one(core, 'v1/Service', 'residency-gate');
const deployment = one(core, 'apps/v1/Deployment', 'residency-gate');
const servicePort = obj(list(at(service.doc, 'spec', 'ports')).map((p) => obj(p)).find((p) => p.name === 'grpc'), 'Service port grpc');
const serviceFqdn = `${nameOf(service)}.${namespaceOf(service)}.svc.cluster.local`;
const providers = list(at(meshValues, 'meshConfig', 'extensionProviders')).map((p) => obj(p));
const spec = (m: Manifest): JsonObject => obj(m.doc.spec, `${m.file} spec`);
const rgConfig = (m: Manifest): JsonObject => obj(parse(String(at(m.doc, 'data', 'config.yaml'))) as Json, 'config.yaml');
const listenPort = (config: JsonObject): number => Number(String(at(config, 'server', 'listen')).split(':').at(-1));

describe('Istio: ext_authz provider and AuthorizationPolicy', () => {
  it('the CUSTOM policy names a provider that meshConfig declares', () => {
    expect(spec(authzPolicy).action).toBe('CUSTOM');
    expect(providers.map((p) => p.name)).toContain(at(spec(authzPolicy), 'provider', 'name'));
  });

  it('the provider points at the residency-gate Service and its gRPC port, and fails closed', () => {
    const provider = obj(providers.find((p) => p.name === at(spec(authzPolicy), 'provider', 'name'))?.envoyExtAuthzGrpc);
    expect(provider.service).toBe(serviceFqdn);
    expect(provider.port).toBe(servicePort.port);
    expect(provider.port).toBe(9191);
    expect(provider.failOpen).toBe(false);
    expect(provider.statusOnError).toBe('403');
    expect(provider.timeout).toBe(`${String(at(httpFilter(loadYaml('envoy/envoy.yaml'), 'envoy.filters.http.ext_authz'), 'grpc_service', 'timeout'))}`);
  });

  it('the policy matches every request of the proxies it selects', () => {
    expect(spec(authzPolicy).rules).toEqual([{}]);
  });
});

describe('Istio: meshConfig values use MeshConfig fields (from istio.io/api mesh/v1alpha1/config.proto)', () => {
  let index: SchemaIndex | undefined;
  let skipReason: string | undefined;
  beforeAll(async () => {
    ({ index, skip: skipReason } = await loadSchemaIndex());
  }, 600_000);

  /** Field names (lowerCamelCase, as Istio's YAML takes them) of a proto message, oneofs included, nested messages not. */
  const fieldsOf = (proto: string, message: string): Set<string> => {
    const start = proto.search(new RegExp(`\\bmessage ${message} \\{`));
    if (start < 0) throw new Error(`message ${message} not in config.proto`);
    let depth = 0;
    let i = proto.indexOf('{', start);
    const body: string[] = [];
    let skipDepth: number | undefined;
    let line = '';
    for (; i < proto.length; i += 1) {
      const ch = proto[i]!;
      if (ch === '{') {
        depth += 1;
        if (depth > 1 && skipDepth === undefined && /\b(message|enum)\s+\w+\s*$/.test(line)) skipDepth = depth;
        line = '';
        continue;
      }
      if (ch === '}') {
        if (skipDepth === depth) skipDepth = undefined;
        depth -= 1;
        if (depth === 0) break;
        line = '';
        continue;
      }
      if (ch === '\n') {
        if (skipDepth === undefined) body.push(line);
        line = '';
        continue;
      }
      line += ch;
    }
    const names = body
      .map((l) => l.replace(/\/\/.*/, '').trim())
      .map((l) => /^(?:repeated\s+|optional\s+)?(?:map<[^>]+>|[\w.]+)\s+(\w+)\s*=\s*\d+/.exec(l)?.[1])
      .filter((n): n is string => n !== undefined)
      .map((n) => n.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase()));
    return new Set(names);
  };

  it('extensionProviders entries', ({ skip }) => {
    if (!index) skip(skipReason);
    const proto = readFileSync(join(index!.dir, index!.files['istio-mesh-config.proto']!), 'utf8');
    expect(fieldsOf(proto, 'MeshConfig')).toContain('extensionProviders');
    expect(Object.keys(meshValues)).toEqual(['meshConfig']);
    expect(Object.keys(obj(meshValues.meshConfig))).toEqual(['extensionProviders']);
    const providerFields = fieldsOf(proto, 'ExtensionProvider');
    const grpcFields = fieldsOf(proto, 'EnvoyExternalAuthorizationGrpcProvider');
    expect(grpcFields).toContain('failOpen');
    for (const provider of providers) {
      for (const key of Object.keys(provider)) expect(providerFields, `extensionProviders[].${key}`).toContain(key);
      const grpc = obj(provider.envoyExtAuthzGrpc);
      for (const key of Object.keys(grpc)) expect(grpcFields, `envoyExtAuthzGrpc.${key}`).toContain(key);
      // Types as the proto has them: uint32 port, Duration timeout ("0.5s"), bool failOpen, string statusOnError.
      expect(Number.isInteger(grpc.port)).toBe(true);
      expect(String(grpc.timeout)).toMatch(/^\d+(\.\d+)?s$/);
      expect(typeof grpc.failOpen).toBe('boolean');
      expect(typeof grpc.statusOnError).toBe('string');
      expect(typeof grpc.service).toBe('string');
    }
  });
});

describe('Istio: ext_proc EnvoyFilter', () => {
  const patch = obj(at(spec(envoyFilter), 'configPatches', 0));
  const value = obj(at(patch, 'patch', 'value'));
  const typed = obj(value.typed_config);

  it("names Istio's outbound cluster for the residency-gate Service", () => {
    expect(at(typed, 'grpc_service', 'envoy_grpc', 'cluster_name')).toBe(`outbound|${String(servicePort.port)}||${serviceFqdn}`);
  });

  it("carries envoy.yaml's ext_proc essentials: fail closed, 2 s, 403, STREAMED, the decision forwarded (only the cluster differs)", () => {
    const reference = extProcEssentials(httpFilter(loadYaml('envoy/envoy.yaml'), 'envoy.filters.http.ext_proc'));
    const mine = extProcEssentials(typed);
    expect({ ...mine, grpc_service: null }).toEqual({ ...reference, grpc_service: null });
    expect(typed.failure_mode_allow).toBe(false);
    expect(value.name).toBe('envoy.filters.http.ext_proc');
  });

  it('goes into the HTTP filter chain of the same proxies as the CUSTOM policy, before the router', () => {
    expect(patch.applyTo).toBe('HTTP_FILTER');
    expect(at(patch, 'patch', 'operation')).toBe('INSERT_BEFORE');
    expect(at(patch, 'match', 'context')).toBe('GATEWAY');
    expect(at(patch, 'match', 'listener', 'filterChain', 'filter', 'name')).toBe('envoy.filters.network.http_connection_manager');
    expect(at(patch, 'match', 'listener', 'filterChain', 'filter', 'subFilter', 'name')).toBe('envoy.filters.http.router');
    expect(at(spec(envoyFilter), 'workloadSelector', 'labels')).toEqual(at(spec(authzPolicy), 'selector', 'matchLabels'));
    expect(namespaceOf(envoyFilter)).toBe(namespaceOf(authzPolicy));
  });

  it("then adds envoy.yaml's rbac guard, also before the router (so after ext_proc)", () => {
    const patches = list(at(spec(envoyFilter), 'configPatches')).map((p) => obj(p)).filter((p) => p.applyTo === 'HTTP_FILTER');
    expect(patches.map((p) => at(p, 'patch', 'value', 'name'))).toEqual(['envoy.filters.http.ext_proc', 'envoy.filters.http.rbac']);
    const guard = patches[1]!;
    expect({ ...guard, patch: null }).toEqual({ ...patch, patch: null });
    expect(at(guard, 'patch', 'operation')).toBe('INSERT_BEFORE');
    expect(at(guard, 'patch', 'value', 'typed_config')).toEqual(httpFilter(loadYaml('envoy/envoy.yaml'), 'envoy.filters.http.rbac'));
  });

  it("and merges envoy.yaml's runtime layer into the bootstrap: Envoy closes ext_proc streams instead of resetting them", () => {
    const patches = list(at(spec(envoyFilter), 'configPatches')).map((p) => obj(p));
    expect(patches.map((p) => p.applyTo)).toEqual(['HTTP_FILTER', 'HTTP_FILTER', 'BOOTSTRAP']);
    const bootstrap = patches[2]!;
    // Istio applies BOOTSTRAP patches with MERGE only (proto merge: the layer is appended).
    expect(at(bootstrap, 'patch', 'operation')).toBe('MERGE');
    expect(Object.keys(obj(at(bootstrap, 'patch', 'value')))).toEqual(['layered_runtime']);
    const layers = list(at(bootstrap, 'patch', 'value', 'layered_runtime', 'layers')).map((l) => obj(l));
    expect(layers).toHaveLength(1);
    // Envoy refuses two layers with one name: not Istio's "global config" or "admin".
    expect(layers[0]!.name).toBe('residency-gate-static');
    expect(layers[0]!.static_layer).toEqual(obj(at(loadYaml('envoy/envoy.yaml'), 'layered_runtime', 'layers', 0, 'static_layer')));
    expect(at(layers[0]!, 'static_layer', 'envoy.reloadable_features.ext_proc_graceful_grpc_close')).toBe(true);
  });

});

describe('Istio: the LLM API through the egress gateway', () => {
  const serviceEntry = one(egress, 'networking.istio.io/v1/ServiceEntry');
  const gateway = one(egress, 'networking.istio.io/v1/Gateway');
  const virtualService = one(egress, 'networking.istio.io/v1/VirtualService');
  const gatewayRule = one(egress, 'networking.istio.io/v1/DestinationRule', 'egressgateway-for-llm');
  const tlsRule = one(egress, 'networking.istio.io/v1/DestinationRule', 'llm-api-tls');
  const host = String(at(spec(serviceEntry), 'hosts', 0));
  const seHttps = list(at(spec(serviceEntry), 'ports')).map((p) => obj(p)).find((p) => p.protocol === 'HTTPS');
  const server = obj(at(spec(gateway), 'servers', 0));
  const gatewayRef = `${namespaceOf(gateway)}/${nameOf(gateway)}`;
  const http = list(at(spec(virtualService), 'http')).map((r) => obj(r));
  const meshRoute = http.find((r) => JSON.stringify(r.match).includes('"mesh"'))!;
  const gatewayRoute = http.find((r) => JSON.stringify(r.match).includes(gatewayRef))!;

  it('one host everywhere', () => {
    expect(spec(serviceEntry).hosts).toEqual([host]);
    expect(server.hosts).toEqual([host]);
    expect(spec(virtualService).hosts).toEqual([host]);
    expect(spec(tlsRule).host).toBe(host);
    expect(at(spec(gatewayRule), 'subsets', 0, 'trafficPolicy', 'portLevelSettings', 0, 'tls', 'sni')).toBe(host);
    expect(spec(serviceEntry).location).toBe('MESH_EXTERNAL');
  });

  it('the gateway is the one the residency-gate policy and EnvoyFilter select', () => {
    expect(spec(gateway).selector).toEqual(at(spec(authzPolicy), 'selector', 'matchLabels'));
    expect(spec(virtualService).gateways).toEqual([gatewayRef, 'mesh']);
  });

  it('sidecars send the host to the egress gateway subset over Istio mTLS, on the gateway server port', () => {
    const dest = obj(at(meshRoute, 'route', 0, 'destination'));
    expect(dest.host).toBe(spec(gatewayRule).host);
    expect(list(at(spec(gatewayRule), 'subsets')).map((s) => obj(s).name)).toContain(dest.subset);
    expect(at(dest, 'port', 'number')).toBe(at(server, 'port', 'number'));
    expect(at(meshRoute, 'match', 0, 'port')).toBe(at(server, 'port', 'number'));
    expect(at(spec(gatewayRule), 'subsets', 0, 'trafficPolicy', 'portLevelSettings', 0, 'port', 'number')).toBe(at(server, 'port', 'number'));
    expect(at(server, 'tls', 'mode')).toBe('ISTIO_MUTUAL');
  });

  it('the gateway originates TLS to the provider on its HTTPS port', () => {
    const dest = obj(at(gatewayRoute, 'route', 0, 'destination'));
    expect(dest.host).toBe(host);
    expect(at(dest, 'port', 'number')).toBe(seHttps?.number);
    expect(at(spec(tlsRule), 'trafficPolicy', 'portLevelSettings', 0, 'port', 'number')).toBe(seHttps?.number);
    expect(at(spec(tlsRule), 'trafficPolicy', 'portLevelSettings', 0, 'tls', 'mode')).toBe('SIMPLE');
  });

  it("the caller's residency token does not leave the mesh", () => {
    const tokenHeader = at(rgConfig(configMap), 'identity', 'token_header');
    expect(tokenHeader).not.toBe('authorization');
    expect(at(gatewayRoute, 'headers', 'request', 'remove')).toEqual([tokenHeader]);
  });

  it("residency-gate's policy knows the host as a target, in a region, with masking both ways", () => {
    const config = parseConfig(rgConfig(configMap), '/etc/residency-gate');
    const target = config.policy.targets.find((t) => t.authority === host);
    expect(target).toBeDefined();
    const rule = config.policy.masking.find((m) => m.targets?.includes(target!.name));
    expect([...(rule?.directions ?? [])].sort()).toEqual(['request', 'response']);
  });
});

describe("Istio: residency-gate's config and who may call it", () => {
  it('the ConfigMap is a valid residency-gate config, listening on the Service port', () => {
    const config = parseConfig(rgConfig(configMap), '/etc/residency-gate');
    expect(listenPort(rgConfig(configMap))).toBe(servicePort.port);
    expect(config.server.listen).toBe('0.0.0.0:9191');
    expect(nameOf(configMap)).toBe('residency-gate-config');
    expect(namespaceOf(configMap)).toBe(namespaceOf(deployment));
  });

  it('STRICT mTLS in its namespace, and only the egress gateway on its port', () => {
    const peer = one(access, 'security.istio.io/v1/PeerAuthentication');
    const allow = one(access, 'security.istio.io/v1/AuthorizationPolicy');
    expect(namespaceOf(peer)).toBe(namespaceOf(service));
    expect(at(spec(peer), 'mtls', 'mode')).toBe('STRICT');
    expect(namespaceOf(allow)).toBe(namespaceOf(service));
    expect(spec(allow).action).toBe('ALLOW');
    expect(at(spec(allow), 'selector', 'matchLabels')).toEqual(at(service.doc, 'spec', 'selector'));
    expect(at(spec(allow), 'rules', 0, 'from', 0, 'source', 'principals')).toEqual([`cluster.local/ns/${namespaceOf(authzPolicy)}/sa/istio-egressgateway-service-account`]);
    expect(at(spec(allow), 'rules', 0, 'to', 0, 'operation', 'ports')).toEqual([String(servicePort.port)]);
  });
});
