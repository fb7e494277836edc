// Shared by the deployment-manifest tests: YAML loading, the CRD schemas fetched by
// scripts/fetch-k8s-schemas.mjs, and a JSON-schema validator that is as strict as `kubectl apply`.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, posix, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { isMap, isSeq, parseAllDocuments, parseDocument } from 'yaml';

export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

export interface Manifest {
  /** Path relative to the repository root. */
  readonly file: string;
  /** Position of the document in its file, from 0. */
  readonly index: number;
  readonly doc: JsonObject;
}

/** Every non-empty YAML document of a file; parse errors and duplicate keys fail loudly. */
export function loadYamlDocuments(file: string): Manifest[] {
  const path = join(ROOT, file);
  const docs = parseAllDocuments(readFileSync(path, 'utf8'), { uniqueKeys: true, prettyErrors: true });
  if (!Array.isArray(docs)) throw new Error(`${file}: not a YAML stream`);
  const out: Manifest[] = [];
  docs.forEach((d, index) => {
    if (d.errors.length > 0) throw new Error(`${file}: ${d.errors.map((e) => e.message).join('\n')}`);
    const doc = d.toJS() as Json;
    if (doc === null) return;
    if (typeof doc !== 'object' || Array.isArray(doc)) throw new Error(`${file}[${index}]: expected a mapping`);
    out.push({ file, index, doc });
  });
  return out;
}

/** One YAML document (an Envoy config, docker-compose.yml) as plain data. */
export function loadYaml(file: string): JsonObject {
  const d = parseDocument(readFileSync(join(ROOT, file), 'utf8'), { uniqueKeys: true, prettyErrors: true });
  if (d.errors.length > 0) throw new Error(`${file}: ${d.errors.map((e) => e.message).join('\n')}`);
  if (!isMap(d.contents) && !isSeq(d.contents)) throw new Error(`${file}: expected a mapping`);
  return d.toJS() as JsonObject;
}

/** The .yaml files under a directory (relative to the root), recursively, sorted. */
export function yamlFilesUnder(dir: string): string[] {
  const out: string[] = [];
  const walk = (abs: string): void => {
    for (const name of readdirSync(abs).sort()) {
      const child = join(abs, name);
      if (statSync(child).isDirectory()) walk(child);
      else if (/\.ya?ml$/.test(name)) out.push(relative(ROOT, child));
    }
  };
  walk(join(ROOT, dir));
  return out;
}

/** Walks a path of keys / indexes, throwing with the path when something is missing. */
export function at(value: Json | undefined, ...path: (string | number)[]): Json {
  let current: Json | undefined = value;
  for (const [i, key] of path.entries()) {
    if (current === null || current === undefined || typeof current !== 'object') {
      throw new Error(`nothing at ${path.slice(0, i + 1).join('.')}`);
    }
    current = Array.isArray(current) ? current[Number(key)] : current[String(key)];
  }
  if (current === undefined) throw new Error(`nothing at ${path.join('.')}`);
  return current;
}

export function obj(value: Json | undefined, what = 'value'): JsonObject {
  if (value === null || value === undefined || typeof value !== 'object' || Array.isArray(value)) throw new Error(`${what}: expected a mapping`);
  return value;
}

export function list(value: Json | undefined, what = 'value'): Json[] {
  if (!Array.isArray(value)) throw new Error(`${what}: expected a list`);
  return value;
}

export const kindOf = (m: Manifest): string => `${String(m.doc.apiVersion)}/${String(m.doc.kind)}`;
export const nameOf = (m: Manifest): string => String(obj(m.doc.metadata, `${m.file}[${m.index}].metadata`).name);
export const namespaceOf = (m: Manifest): string => String(obj(m.doc.metadata, `${m.file}[${m.index}].metadata`).namespace ?? 'default');
export const label = (m: Manifest): string => `${m.file}[${m.index}] ${String(m.doc.kind)} ${nameOf(m)}`;

/** Documents of one kind (apiVersion/kind), e.g. byKind(ms, 'apps/v1/Deployment'). */
export function byKind(manifests: readonly Manifest[], kind: string): Manifest[] {
  return manifests.filter((m) => kindOf(m) === kind);
}

export function one(manifests: readonly Manifest[], kind: string, name?: string): Manifest {
  const found = byKind(manifests, kind).filter((m) => name === undefined || nameOf(m) === name);
  if (found.length !== 1) throw new Error(`expected one ${kind}${name ? ` named ${name}` : ''}, found ${found.length}`);
  return found[0]!;
}

// --- CRD schemas ------------------------------------------------------------------------------

export interface SchemaEntry {
  readonly file: string;
  readonly served: boolean;
  readonly storage: boolean;
  readonly deprecated: boolean;
  readonly source: string;
}

export interface SchemaIndex {
  readonly dir: string;
  readonly fromCache: boolean;
  readonly schemas: Readonly<Record<string, SchemaEntry>>;
  readonly files: Readonly<Record<string, string>>;
}

interface FetchScript {
  fetchK8sSchemas(): Promise<SchemaIndex>;
}

/**
 * Runs scripts/fetch-k8s-schemas.mjs (a cache hit after the first run). Resolves to the index, or
 * to a skip reason when the cache is cold and `go` is missing; any other failure throws.
 */
export async function loadSchemaIndex(): Promise<{ index: SchemaIndex; skip?: undefined } | { index?: undefined; skip: string }> {
  // A computed specifier: the script is plain JavaScript without type declarations.
  const script = new URL('../../../scripts/fetch-k8s-schemas.mjs', import.meta.url).href;
  const { fetchK8sSchemas } = (await import(script)) as FetchScript;
  try {
    return { index: await fetchK8sSchemas() };
  } catch (error) {
    if ((error as { code?: string }).code !== 'GO_MISSING') throw error;
    const skip = `schema validation skipped: ${(error as Error).message}. Install Go (or run scripts/fetch-k8s-schemas.mjs where it is) to run it.`;
    console.warn(skip);
    return { skip };
  }
}

/** "group/version/Kind" for a manifest (core kinds: "/v1/Service"). */
export function gvkOf(m: Manifest): string {
  const apiVersion = String(m.doc.apiVersion);
  const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion];
  return `${group}/${version}/${String(m.doc.kind)}`;
}

type Schema = { [key: string]: unknown };

/**
 * Makes a CRD's structural schema reject unknown fields, as `kubectl apply` does (its default
 * field validation is Strict; the API server would otherwise silently drop them): every object
 * schema with `properties` gets `additionalProperties: false`, unless it already says otherwise
 * or preserves unknown fields. The root also accepts apiVersion, kind and metadata (Istio's CRDs
 * leave them out).
 */
export function strictSchema(schema: Schema): Schema {
  const visit = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(visit);
    if (node === null || typeof node !== 'object') return node;
    const out: Schema = {};
    for (const [key, value] of Object.entries(node as Schema)) {
      if (key === 'properties' && value !== null && typeof value === 'object') {
        out[key] = Object.fromEntries(Object.entries(value as Schema).map(([k, v]) => [k, visit(v)]));
      } else if (['items', 'additionalProperties', 'not', 'anyOf', 'oneOf', 'allOf'].includes(key)) {
        out[key] = visit(value);
      } else {
        out[key] = value;
      }
    }
    if (out.properties !== undefined && out.additionalProperties === undefined && out['x-kubernetes-preserve-unknown-fields'] !== true) {
      out.additionalProperties = false;
    }
    return out;
  };
  const root = visit(schema) as Schema;
  root.properties = {
    apiVersion: { type: 'string' },
    kind: { type: 'string' },
    metadata: { type: 'object' },
    ...(root.properties as Schema | undefined),
  };
  root.additionalProperties = false;
  return root;
}

export function createAjv(): Ajv {
  // strict: false lets the x-kubernetes-* keywords through; formats (int32, date-time, ...) are
  // not what these manifests get wrong, and the CEL rules (x-kubernetes-validations) are checked
  // by hand in the tests that need them. useDefaults: the API server fills in schema defaults
  // before it validates.
  return new Ajv({ strict: false, allErrors: true, validateFormats: false, useDefaults: true, logger: false });
}

export class CrdValidators {
  private readonly ajv = createAjv();
  private readonly cache = new Map<string, ValidateFunction>();
  constructor(private readonly index: SchemaIndex) {}

  entry(gvk: string): SchemaEntry | undefined {
    return this.index.schemas[gvk];
  }

  /** Validation errors of a document against its CRD schema, as readable lines. */
  errors(doc: JsonObject, gvk: string): string[] {
    const entry = this.index.schemas[gvk];
    if (!entry) return [`no CRD schema for ${gvk}`];
    let validate = this.cache.get(gvk);
    if (!validate) {
      const schema = JSON.parse(readFileSync(join(this.index.dir, entry.file), 'utf8')) as Schema;
      validate = this.ajv.compile(strictSchema(schema));
      this.cache.set(gvk, validate);
    }
    return validate(structuredClone(doc)) ? [] : formatErrors(validate.errors);
  }
}

export function formatErrors(errors: ErrorObject[] | null | undefined): string[] {
  return (errors ?? []).map((e) => {
    const params = e.params as { additionalProperty?: string; unevaluatedProperty?: string; allowedValues?: unknown };
    const property = params.additionalProperty ?? params.unevaluatedProperty;
    const extra = property !== undefined ? ` (${property})` : e.keyword === 'enum' ? ` ${JSON.stringify(params.allowedValues)}` : '';
    return `${e.instancePath || '/'} ${e.message ?? e.keyword}${extra}`;
  });
}

// --- Envoy bootstrap configs ------------------------------------------------------------------

/** The HttpConnectionManager of the listener named `ingress`. */
export function connectionManager(config: JsonObject): JsonObject {
  const listeners = list(at(config, 'static_resources', 'listeners'), 'listeners');
  const ingress = listeners.map((l) => obj(l)).find((l) => l.name === 'ingress');
  if (!ingress) throw new Error('no listener named ingress');
  const filters = list(at(ingress, 'filter_chains', 0, 'filters'), 'filters').map((f) => obj(f));
  const hcm = filters.find((f) => f.name === 'envoy.filters.network.http_connection_manager');
  if (!hcm) throw new Error('no http_connection_manager');
  return obj(hcm.typed_config, 'http_connection_manager.typed_config');
}

export function httpFilters(config: JsonObject): JsonObject[] {
  return list(connectionManager(config).http_filters, 'http_filters').map((f) => obj(f));
}

/** typed_config of the HTTP filter with this name, or undefined when the chain has none. */
export function httpFilter(config: JsonObject, name: string): JsonObject | undefined {
  const filter = httpFilters(config).find((f) => f.name === name);
  return filter === undefined ? undefined : obj(filter.typed_config, `${name}.typed_config`);
}

export function routes(config: JsonObject): JsonObject[] {
  return list(at(connectionManager(config), 'route_config', 'virtual_hosts', 0, 'routes'), 'routes').map((r) => obj(r));
}

export function cluster(config: JsonObject, name: string): JsonObject {
  const found = list(at(config, 'static_resources', 'clusters'), 'clusters')
    .map((c) => obj(c))
    .find((c) => c.name === name);
  if (!found) throw new Error(`no cluster named ${name}`);
  return found;
}

/** The single endpoint address of a cluster (socket_address or pipe). */
export function clusterAddress(config: JsonObject, name: string): JsonObject {
  const endpoints = list(at(cluster(config, name), 'load_assignment', 'endpoints'), 'endpoints');
  const lb = list(at(endpoints, 0, 'lb_endpoints'), 'lb_endpoints');
  if (endpoints.length !== 1 || lb.length !== 1) throw new Error(`cluster ${name}: expected exactly one endpoint`);
  return obj(at(lb, 0, 'endpoint', 'address'), `${name} address`);
}

// --- files that must not be baked into images ----------------------------------------------------

/** File names that look like private keys or local secrets. */
export const SECRETISH = /(\.private\.jwk\.json|\.key|\.pem|\.p12|\.pfx|id_rsa|\.env(\..*)?|\.npmrc)$/;

/** Repository paths of the files config/example.yaml reads (audit.file is written: /app/var). */
export function exampleConfigFiles(): string[] {
  const refs: string[] = [];
  const walk = (v: Json, path: string): void => {
    const key = path.split('.').at(-1) ?? '';
    if (Array.isArray(v)) v.forEach((x) => walk(x, path));
    else if (v !== null && typeof v === 'object') for (const [k, x] of Object.entries(v)) walk(x, path === '' ? k : `${path}.${k}`);
    else if (typeof v === 'string' && (key === 'file' || key.endsWith('_file')) && path !== 'audit.file') refs.push(posix.normalize(posix.join('config', v)));
  };
  walk(loadYaml('config/example.yaml'), '');
  return refs;
}

// --- the settings every copy of the filters must share with envoy/envoy.yaml --------------------
// Copies (the variants, Istio's EnvoyFilter) need not follow every feature envoy.yaml gains, but
// must keep what makes them fail closed and what carries the decision to ext_proc.

/** ext_authz: where residency-gate is, how long to wait, and failing closed. */
export function extAuthzEssentials(typed: JsonObject | undefined): JsonObject {
  const t = obj(typed, 'ext_authz typed_config');
  return { transport_api_version: t.transport_api_version ?? null, grpc_service: t.grpc_service ?? null, failure_mode_allow: t.failure_mode_allow ?? null, status_on_error: t.status_on_error ?? null };
}

/** ext_proc: failing closed, the processing mode, the ext_authz namespace forwarded, its own received. */
export function extProcEssentials(typed: JsonObject | undefined): JsonObject {
  const t = obj(typed, 'ext_proc typed_config');
  const forwarding = obj(t.metadata_options ?? {}).forwarding_namespaces ?? null;
  const receiving = obj(t.metadata_options ?? {}).receiving_namespaces ?? null;
  return {
    grpc_service: t.grpc_service ?? null,
    failure_mode_allow: t.failure_mode_allow ?? null,
    message_timeout: t.message_timeout ?? null,
    status_on_error: t.status_on_error ?? null,
    processing_mode: t.processing_mode ?? null,
    response_attributes: t.response_attributes ?? null,
    observability_mode: t.observability_mode ?? null,
    forwarding_namespaces: forwarding,
    receiving_namespaces: receiving,
  };
}
