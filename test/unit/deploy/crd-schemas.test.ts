// Every document under envoy/istio and envoy/gateway is valid against the OpenAPI v3 schema of its
// CRD, for the pinned Istio (istio.io/api v1.32.0) and Envoy Gateway (v1.9.1, with the Gateway API
// CRDs its chart installs), and as strict as `kubectl apply` about unknown fields. Core kinds
// (Namespace, ServiceAccount, ConfigMap, Service, Deployment) are checked by hand in
// kubernetes.test.ts; the meshConfig values file against Istio's proto in istio.test.ts.
import { beforeAll, describe, expect, it } from 'vitest';
import { CrdValidators, gvkOf, label, loadSchemaIndex, loadYamlDocuments, yamlFilesUnder, type JsonObject, type Manifest } from './support.js';

const DIRS = ['envoy/istio', 'envoy/gateway'];
const CORE_KINDS = new Set(['/v1/Namespace', '/v1/ServiceAccount', '/v1/ConfigMap', '/v1/Service', 'apps/v1/Deployment']);
/** Not Kubernetes objects: Helm values for istiod (checked against MeshConfig in istio.test.ts). */
const NOT_OBJECTS = new Set(['envoy/istio/mesh-config.yaml']);

const files = DIRS.flatMap(yamlFilesUnder);
const manifests = files.filter((f) => !NOT_OBJECTS.has(f)).flatMap(loadYamlDocuments);
const custom = manifests.filter((m) => !CORE_KINDS.has(gvkOf(m)));

let validators: CrdValidators | undefined;
let skipReason: string | undefined;

beforeAll(async () => {
  const loaded = await loadSchemaIndex();
  skipReason = loaded.skip;
  if (loaded.index) validators = new CrdValidators(loaded.index);
}, 600_000);

function need(skip: (note?: string) => never): CrdValidators {
  if (validators === undefined) skip(skipReason);
  return validators!;
}

describe('deployment manifests', () => {
  it('are found, and every document is a Kubernetes object with a name', () => {
    expect(files.length).toBeGreaterThanOrEqual(10);
    for (const m of manifests) {
      expect(typeof m.doc.apiVersion, `${m.file}[${m.index}]`).toBe('string');
      expect(typeof m.doc.kind, `${m.file}[${m.index}]`).toBe('string');
      expect((m.doc.metadata as JsonObject | undefined)?.name, `${m.file}[${m.index}]`).toEqual(expect.any(String));
    }
    expect(custom.length).toBeGreaterThanOrEqual(10);
  });

  it('use only kinds with a schema here, in a served, non-deprecated version', ({ skip }) => {
    const v = need(skip);
    for (const m of custom) {
      const entry = v.entry(gvkOf(m));
      expect(entry, `${label(m)}: no CRD for ${gvkOf(m)} in the pinned Istio / Envoy Gateway`).toBeDefined();
      expect(entry?.served, label(m)).toBe(true);
      expect(entry?.deprecated, label(m)).toBe(false);
    }
  });
});

describe('CRD schema validation', () => {
  it.for(custom.map((m): [string, Manifest] => [label(m), m]))('%s', ([, m], { skip }) => {
    const v = need(skip);
    expect(v.errors(m.doc, gvkOf(m))).toEqual([]);
  });
});

// The validator must be able to fail: each mutation below is a mistake kubectl would reject.
describe('CRD schema validation rejects', () => {
  const find = (kind: string): Manifest => {
    const m = custom.find((c) => c.doc.kind === kind);
    if (!m) throw new Error(`no ${kind} among the manifests`);
    return m;
  };
  const mutated = (kind: string, change: (doc: JsonObject) => void): { doc: JsonObject; gvk: string } => {
    const m = find(kind);
    const doc = structuredClone(m.doc);
    change(doc);
    return { doc, gvk: gvkOf(m) };
  };
  // The manifests' shapes are checked above; here they are edited blindly, as a careless user would.
  type Loose = { [key: string]: Loose } & { [index: number]: Loose };
  const spec = (doc: JsonObject): Loose => doc.spec as unknown as Loose;
  const set = (target: Loose, key: string, value: unknown): void => {
    (target as unknown as Record<string, unknown>)[key] = value;
  };

  it.for([
    ['an unknown field (typo)', 'EnvoyExtensionPolicy', (d: JsonObject): void => set(spec(d).extProc[0], 'procesingMode', spec(d).extProc[0].processingMode), /additional properties \(procesingMode\)/],
    ['a wrong enum value', 'EnvoyExtensionPolicy', (d: JsonObject): void => set(spec(d).extProc[0].processingMode.request, 'body', 'STREAMED'), /allowed values/],
    ['a wrong type', 'SecurityPolicy', (d: JsonObject): void => set(spec(d).extAuth.grpc.backendRefs[0], 'port', '9191'), /must be integer/],
    ['an unknown action', 'AuthorizationPolicy', (d: JsonObject): void => set(spec(d), 'action', 'CUSTOMIZE'), /allowed values/],
    ['an unknown EnvoyFilter operation', 'EnvoyFilter', (d: JsonObject): void => set(spec(d).configPatches[0].patch, 'operation', 'INSERT_AFTER_ROUTER'), /allowed values/],
    ['a status_on_error EG does not accept', 'EnvoyExtensionPolicy', (d: JsonObject): void => set(spec(d).extProc[0], 'statusOnError', 200), /allowed values/],
    ['an unknown top-level field', 'ServiceEntry', (d: JsonObject): void => set(d as unknown as Loose, 'specs', {}), /additional properties \(specs\)/],
  ] as const)('%s', ([, kind, change, pattern], { skip }) => {
    const v = need(skip);
    const { doc, gvk } = mutated(kind, change);
    const errors = v.errors(doc, gvk);
    expect(errors.length).toBeGreaterThan(0);
    expect(errors.join('\n')).toMatch(pattern);
  });
});
