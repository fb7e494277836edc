#!/usr/bin/env node
// Fetches the schemas that test/unit/deploy validates the deployment manifests against, offline
// after the first run:
//   - the OpenAPI v3 schema of every CustomResourceDefinition that Istio and Envoy Gateway ship
//     (Istio's networking / security / extensions CRDs; Envoy Gateway's CRDs and the Gateway API
//     CRDs it bundles), one JSON file per (group, version, kind);
//   - Istio's mesh/v1alpha1/config.proto (MeshConfig has no CRD: the test reads its field names);
//   - the Compose Specification's JSON schema (for docker-compose.yml).
// All of them come from pinned Go modules, fetched with `go mod download -json` (the Go module
// proxy; GOPATH's module cache is reused). Output: .cache/k8s-schemas/, with index.json listing
// what is there. A second run with the same pins reads the cache and does not need `go` at all.
//
// Usage: `node scripts/fetch-k8s-schemas.mjs` (prints the directory), or
// `import { fetchK8sSchemas } from './scripts/fetch-k8s-schemas.mjs'`.
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import process from 'node:process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseAllDocuments } from 'yaml';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
export const SCHEMA_DIR = join(root, '.cache', 'k8s-schemas');

/** The pinned sources. Changing a version here invalidates the cache. */
export const SCHEMA_SOURCES = [
  {
    module: 'istio.io/api',
    version: 'v1.32.0',
    crds: ['kubernetes/customresourcedefinitions.gen.yaml'],
    copy: { 'mesh/v1alpha1/config.proto': 'istio-mesh-config.proto' },
  },
  {
    module: 'github.com/envoyproxy/gateway',
    version: 'v1.9.1',
    crds: [
      'charts/gateway-crds-helm/templates/generated/*.yaml',
      // HTTPRoute, ReferenceGrant, Gateway: the Gateway API CRDs that Envoy Gateway's chart installs.
      'charts/gateway-crds-helm/templates/standard-gatewayapi-crds.yaml',
    ],
    copy: {},
  },
  {
    module: 'github.com/compose-spec/compose-go/v2',
    version: 'v2.16.2',
    crds: [],
    copy: { 'schema/compose-spec.json': 'compose-spec.json' },
  },
];

const INDEX = 'index.json';
/** Bump when the output's format changes: a cache in another format is rebuilt. */
const FORMAT = 2;

/** Thrown when the cache is cold and there is no `go` command to fill it. */
export class GoMissingError extends Error {
  constructor(detail) {
    super(`the \`go\` command is not available (${detail}); it is needed once to download the pinned schema modules`);
    this.name = 'GoMissingError';
    this.code = 'GO_MISSING';
  }
}

const log = (msg) => process.stderr.write(`fetch-k8s-schemas: ${msg}\n`);

function run(cmd, args, options) {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { maxBuffer: 16 * 1024 * 1024, timeout: 10 * 60_000, ...options }, (error, stdout, stderr) => {
      if (error) {
        error.stdout = stdout;
        error.stderr = stderr;
        reject(error);
      } else resolve(stdout);
    });
  });
}

const pins = () => SCHEMA_SOURCES.map((s) => ({ module: s.module, version: s.version, crds: s.crds, copy: s.copy }));

/** The cache's index if it is complete and made from the current pins; otherwise undefined. */
export function readCachedIndex(dir = SCHEMA_DIR) {
  try {
    const index = JSON.parse(readFileSync(join(dir, INDEX), 'utf8'));
    if (index.format !== FORMAT || JSON.stringify(index.sources) !== JSON.stringify(pins())) return undefined;
    const files = [...Object.values(index.schemas).map((s) => s.file), ...Object.values(index.files)];
    return files.every((f) => existsSync(join(dir, f))) ? index : undefined;
  } catch {
    return undefined;
  }
}

async function goModDownload(module, version, workDir) {
  let out;
  try {
    out = await run('go', ['mod', 'download', '-json', `${module}@${version}`], {
      cwd: workDir,
      env: { ...process.env, GOFLAGS: '-mod=mod', GO111MODULE: 'on' },
    });
  } catch (error) {
    if (error.code === 'ENOENT') throw new GoMissingError('not found on PATH');
    // -json reports a module's own error (unknown version, no network) in its JSON output.
    let reason = error.stderr || error.message;
    try {
      reason = JSON.parse(error.stdout).Error ?? reason;
    } catch {
      // not JSON: keep stderr
    }
    throw new Error(`go mod download ${module}@${version} failed: ${reason}`, { cause: error });
  }
  const info = JSON.parse(out);
  if (info.Error) throw new Error(`go mod download ${module}@${version}: ${info.Error}`);
  if (!info.Dir) throw new Error(`go mod download ${module}@${version}: no Dir in ${out}`);
  return info.Dir;
}

/** Expands one pattern: a path, or a path whose last segment is `*.yaml`. */
function expand(moduleDir, pattern) {
  const dir = dirname(pattern);
  const base = pattern.slice(dir.length + 1);
  if (!base.includes('*')) return [join(moduleDir, pattern)];
  const [prefix, suffix] = base.split('*');
  const found = readdirSync(join(moduleDir, dir))
    .filter((f) => f.startsWith(prefix) && f.endsWith(suffix))
    .sort()
    .map((f) => join(moduleDir, dir, f));
  if (found.length === 0) throw new Error(`no file matches ${pattern} in ${moduleDir}`);
  return found;
}

/** Helm chart templates wrap the CRDs in `{{- if ... }}` lines; nothing else is templated. */
function stripHelm(text) {
  return text
    .split('\n')
    .filter((line) => !/^\s*\{\{.*\}\}\s*$/.test(line))
    .join('\n');
}

function extractCrds(text, source, schemas, out) {
  for (const doc of parseAllDocuments(stripHelm(text))) {
    if (doc.errors.length > 0) throw new Error(`${source}: ${doc.errors[0].message}`);
    const crd = doc.toJS({ maxAliasCount: -1 });
    if (crd?.kind !== 'CustomResourceDefinition') continue;
    const { group, names, versions } = crd.spec;
    for (const v of versions) {
      const schema = v.schema?.openAPIV3Schema;
      if (!schema) continue;
      const key = `${group}/${v.name}/${names.kind}`;
      const file = `${group}_${v.name}_${names.kind}.json`;
      writeFileSync(join(out, file), `${JSON.stringify(schema)}\n`);
      schemas[key] = { file, served: v.served !== false, storage: v.storage === true, deprecated: v.deprecated === true, source };
    }
  }
}

async function build(out) {
  const work = mkdtempSync(join(tmpdir(), 'fetch-k8s-schemas-'));
  try {
    try {
      await run('go', ['version'], { cwd: work });
    } catch (error) {
      throw error.code === 'ENOENT' ? new GoMissingError('not found on PATH') : error;
    }
    const schemas = {};
    const files = {};
    for (const source of SCHEMA_SOURCES) {
      log(`go mod download ${source.module}@${source.version}`);
      const moduleDir = await goModDownload(source.module, source.version, work);
      for (const pattern of source.crds) {
        for (const file of expand(moduleDir, pattern)) {
          extractCrds(readFileSync(file, 'utf8'), `${source.module}@${source.version}/${file.slice(moduleDir.length + 1)}`, schemas, out);
        }
      }
      for (const [from, to] of Object.entries(source.copy)) {
        writeFileSync(join(out, to), readFileSync(join(moduleDir, from)));
        files[to] = to;
      }
    }
    writeFileSync(join(out, INDEX), `${JSON.stringify({ format: FORMAT, sources: pins(), schemas, files }, null, 2)}\n`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/**
 * Returns the schema index ({ dir, schemas: { "group/version/Kind": { file, served, storage, deprecated, source } },
 * files: { name: file } }), downloading and extracting first if the cache is cold or stale.
 * Concurrent callers are safe: each builds in its own directory and the first complete one wins.
 */
export async function fetchK8sSchemas({ dir = SCHEMA_DIR } = {}) {
  const cached = readCachedIndex(dir);
  if (cached) return { ...cached, dir, fromCache: true };
  mkdirSync(dirname(dir), { recursive: true });
  const staging = mkdtempSync(`${dir}.tmp-`);
  try {
    await build(staging);
    if (!readCachedIndex(dir)) {
      rmSync(dir, { recursive: true, force: true });
      try {
        renameSync(staging, dir);
      } catch (error) {
        // Another process renamed its complete copy in between: use that one.
        if (!readCachedIndex(dir)) throw error;
      }
    }
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  const index = readCachedIndex(dir);
  if (!index) throw new Error(`${dir}: incomplete after download`);
  return { ...index, dir, fromCache: false };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  fetchK8sSchemas().then(
    (index) => {
      log(`${Object.keys(index.schemas).length} schemas${index.fromCache ? ' (cached)' : ''}`);
      process.stdout.write(`${index.dir}\n`);
    },
    (error) => {
      log(error.message);
      process.exit(error.code === 'GO_MISSING' ? 2 : 1);
    },
  );
}
