// envoy/gateway: SecurityPolicy (ext_authz) and EnvoyExtensionPolicy (ext_proc) target the same
// HTTPRoute, reach the residency-gate Service through a ReferenceGrant that allows exactly them,
// carry envoy.yaml's settings, and name a target residency-gate's config knows; the EnvoyProxy
// patches the bootstrap with envoy.yaml's runtime layer. Also the CEL rules
// (x-kubernetes-validations) of the two CRDs that the JSON-schema check in crd-schemas.test.ts
// cannot evaluate.
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/config/load.js';
import { lintEnvoy } from '../../../src/lint/index.js';
import { at, httpFilter, list, loadYaml, loadYamlDocuments, nameOf, namespaceOf, obj, one, type Json, type JsonObject, type Manifest } from './support.js';

const load = (f: string): Manifest[] => loadYamlDocuments(`envoy/gateway/${f}`);
const route = one(load('httproute.yaml'), 'gateway.networking.k8s.io/v1/HTTPRoute');
const security = one(load('security-policy.yaml'), 'gateway.envoyproxy.io/v1alpha1/SecurityPolicy');
const extension = one(load('extension-policy.yaml'), 'gateway.envoyproxy.io/v1alpha1/EnvoyExtensionPolicy');
const grant = one(load('reference-grant.yaml'), 'gateway.networking.k8s.io/v1beta1/ReferenceGrant');
const envoyProxy = one(load('envoy-proxy.yaml'), 'gateway.envoyproxy.io/v1alpha1/EnvoyProxy');
const configMap = one(load('residency-gate-config.yaml'), 'v1/ConfigMap');
const service = one(loadYamlDocuments('envoy/istio/residency-gate.yaml'), 'v1/Service', 'residency-gate');
const reference = loadYaml('envoy/envoy.yaml');

const spec = (m: Manifest): JsonObject => obj(m.doc.spec, `${m.file} spec`);
const extAuth = obj(spec(security).extAuth);
const extProcs = list(spec(extension).extProc).map((e) => obj(e));
const extProc = extProcs[0]!;
const refExtAuthz = httpFilter(reference, 'envoy.filters.http.ext_authz')!;
const refExtProc = httpFilter(reference, 'envoy.filters.http.ext_proc')!;

/** Envoy's duration ("0.5s") and Gateway API's ("500ms") in milliseconds. */
const millis = (d: Json): number => {
  const m = /^(\d+(?:\.\d+)?)(ms|s)$/.exec(String(d));
  if (!m) throw new Error(`not a duration: ${String(d)}`);
  return Number(m[1]) * (m[2] === 's' ? 1000 : 1);
};

describe('Envoy Gateway: targets', () => {
  it('both policies target exactly the HTTPRoute, in its namespace', () => {
    const expected = [{ group: 'gateway.networking.k8s.io', kind: 'HTTPRoute', name: nameOf(route) }];
    expect(spec(security).targetRefs).toEqual(expected);
    expect(spec(extension).targetRefs).toEqual(expected);
    expect(namespaceOf(security)).toBe(namespaceOf(route));
    expect(namespaceOf(extension)).toBe(namespaceOf(route));
  });

  // CEL: "either targetRef or targetRefs must be used", group gateway.networking.k8s.io, kinds.
  it.each([security, extension].map((m): [string, Manifest] => [String(m.doc.kind), m]))('%s satisfies its targetRef rules', (_kind, m) => {
    expect(spec(m).targetRef).toBeUndefined();
    expect(spec(m).targetSelectors).toBeUndefined();
    for (const ref of list(spec(m).targetRefs).map((r) => obj(r))) {
      expect(ref.group).toBe('gateway.networking.k8s.io');
      expect(['Gateway', 'ListenerSet', 'HTTPRoute', 'GRPCRoute', 'TCPRoute']).toContain(ref.kind);
    }
  });
});

describe('Envoy Gateway: backends', () => {
  const refs = [...list(at(extAuth, 'grpc', 'backendRefs')), ...extProcs.flatMap((e) => list(e.backendRefs))].map((r) => obj(r));

  it('every backendRef is the residency-gate Service and its gRPC port', () => {
    const servicePort = list(at(service.doc, 'spec', 'ports')).map((p) => obj(p)).find((p) => p.name === 'grpc')?.port;
    expect(refs.length).toBe(2);
    for (const ref of refs) {
      expect(ref).toEqual({ name: nameOf(service), namespace: namespaceOf(service), port: servicePort });
      // CEL: kind Service / ServiceImport / Backend (default Service), group core (default ""), no deprecated backendRef.
      expect(ref.kind ?? 'Service').toBe('Service');
      expect(ref.group ?? '').toBe('');
    }
    expect(extAuth.grpc).not.toHaveProperty('backendRef');
    expect(extProc).not.toHaveProperty('backendRef');
  });

  it('the ReferenceGrant in the Service namespace allows exactly these two policies to reach the Service', () => {
    expect(namespaceOf(grant)).toBe(namespaceOf(service));
    expect(spec(grant).from).toEqual([
      { group: 'gateway.envoyproxy.io', kind: 'SecurityPolicy', namespace: namespaceOf(security) },
      { group: 'gateway.envoyproxy.io', kind: 'EnvoyExtensionPolicy', namespace: namespaceOf(extension) },
    ]);
    expect(spec(grant).to).toEqual([{ group: '', kind: 'Service', name: nameOf(service) }]);
  });
});

describe('Envoy Gateway: settings as in envoy/envoy.yaml', () => {
  it('ext_authz: one gRPC service, the same timeout, fail closed, 403', () => {
    // CEL: exactly one of grpc / http.
    expect(Object.keys(extAuth).filter((k) => k === 'grpc' || k === 'http')).toEqual(['grpc']);
    expect(millis(at(extAuth, 'timeout'))).toBe(millis(at(refExtAuthz, 'grpc_service', 'timeout')));
    expect(extAuth.failOpen).toBe(refExtAuthz.failure_mode_allow);
    expect(extAuth.statusOnError).toBe(at(refExtAuthz, 'status_on_error', 'code'));
  });

  it('ext_proc: one processor, fail closed, the same message timeout and status, streamed bodies, the ext_authz namespace forwarded', () => {
    expect(extProcs).toHaveLength(1);
    expect(extProc.failOpen).toBe(refExtProc.failure_mode_allow);
    expect(millis(at(extProc, 'messageTimeout'))).toBe(millis(at(refExtProc, 'message_timeout')));
    expect(extProc.statusOnError).toBe(at(refExtProc, 'status_on_error', 'code'));
    // Envoy Gateway: request / response present = headers SEND; body Streamed = STREAMED.
    expect(at(refExtProc, 'processing_mode', 'request_header_mode')).toBe('SEND');
    expect(at(refExtProc, 'processing_mode', 'response_header_mode')).toBe('SEND');
    expect(at(extProc, 'processingMode', 'request', 'body')).toBe('Streamed');
    expect(at(refExtProc, 'processing_mode', 'request_body_mode')).toBe('STREAMED');
    expect(at(extProc, 'processingMode', 'response', 'body')).toBe('Streamed');
    expect(at(refExtProc, 'processing_mode', 'response_body_mode')).toBe('STREAMED');
    expect(at(extProc, 'metadata', 'accessibleNamespaces')).toEqual(at(refExtProc, 'metadata_options', 'forwarding_namespaces', 'untyped'));
    // Envoy Gateway accepts no xds.* attribute but xds.route_* (CRD pattern): the rest as in envoy.yaml.
    const attributes = list(refExtProc.response_attributes).filter((a) => !String(a).startsWith('xds.'));
    expect(attributes.length).toBeGreaterThan(0);
    expect(at(extProc, 'processingMode', 'response', 'attributes')).toEqual(attributes);
    expect(extProc.shadowMode).toBeUndefined();
  });
});

describe("Envoy Gateway: the EnvoyProxy adds envoy.yaml's runtime layer to the bootstrap", () => {
  const bootstrap = obj(spec(envoyProxy).bootstrap);
  const patches = list(bootstrap.jsonPatches).map((p) => obj(p));

  it('a JSONPatch with patches (CEL: JSONPatch needs jsonPatches, the other types a value)', () => {
    expect(bootstrap.type).toBe('JSONPatch');
    expect(patches.length).toBeGreaterThan(0);
    expect(bootstrap.value).toBeUndefined();
  });

  it("appends a static layer equal to envoy.yaml's, under a name of its own", () => {
    expect(patches).toHaveLength(1);
    const [patch] = patches;
    expect(patch!.op).toBe('add');
    expect(patch!.path).toBe('/layered_runtime/layers/-');
    const layer = obj(patch!.value);
    expect(layer.static_layer).toEqual(at(reference, 'layered_runtime', 'layers', 0, 'static_layer'));
    expect(at(layer, 'static_layer', 'envoy.reloadable_features.ext_proc_graceful_grpc_close')).toBe(true);
    // Envoy refuses two layers with one name; Envoy Gateway's default bootstrap has "global_config".
    expect(layer.name).toBe('residency-gate-static');
  });

  it('sits in the namespace of the Gateway the HTTPRoute attaches to (Gateway infrastructure.parametersRef)', () => {
    const parents = list(spec(route).parentRefs).map((p) => obj(p));
    expect(parents.every((p) => (p.namespace ?? namespaceOf(route)) === namespaceOf(envoyProxy))).toBe(true);
  });

  it('patched into a bootstrap with an ext_proc filter and Envoy Gateway\'s global_config layer, lint-envoy finds no stream resets', () => {
    const base = structuredClone(reference) as JsonObject;
    base.layered_runtime = { layers: [{ name: 'global_config', static_layer: { 're2.max_program_size.error_level': 4294967295 } }] };
    const before = lintEnvoy(base).map((f) => f.rule);
    expect(before).toContain('ext-proc-stream-resets');
    // RFC 6902 add, at the end of the array ("-").
    list(at(base, 'layered_runtime', 'layers')).push(structuredClone(patches[0]!.value!));
    expect(lintEnvoy(base).map((f) => f.rule)).not.toContain('ext-proc-stream-resets');
  });
});

describe("Envoy Gateway: residency-gate's config knows the route's target", () => {
  const raw = obj(parse(String(at(configMap.doc, 'data', 'config.yaml'))) as Json);
  const config = parseConfig(raw, '/etc/residency-gate', configMap.file);
  const extensions = Object.fromEntries(list(extAuth.contextExtensions).map((e) => [String(obj(e).name), obj(e)]));

  it('contextExtensions are plain values (CEL: type Value with value, no valueRef)', () => {
    for (const e of Object.values(extensions)) {
      expect(e.type).toBe('Value');
      expect(typeof e.value).toBe('string');
      expect(e.valueRef).toBeUndefined();
    }
    expect(Object.keys(extensions).sort()).toEqual(['residency.region', 'residency.target']);
  });

  it('the target exists, in that region, for the route hostname, with masking configured', () => {
    const target = config.policy.targets.find((t) => t.name === extensions['residency.target']?.value);
    expect(target?.region).toBe(extensions['residency.region']?.value);
    expect(spec(route).hostnames).toContain(target?.authority);
    expect(config.policy.masking.some((m) => m.targets?.includes(target!.name))).toBe(true);
    expect(config.identity.token_header).toBe('authorization');
  });
});
