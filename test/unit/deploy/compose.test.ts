// docker-compose.yml: Docker's own parser accepts it (`docker compose config -q`, where the docker
// client and its compose plugin exist; no engine needed), it is valid against the Compose
// Specification's JSON schema (from compose-spec/compose-go, fetched like the CRD schemas), Envoy's
// image is the version the e2e tests pin, and the files and names it wires together line up.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { at, clusterAddress, exampleConfigFiles, formatErrors, list, loadSchemaIndex, loadYaml, obj, ROOT, SECRETISH, type JsonObject, type SchemaIndex } from './support.js';

const COMPOSE_FILE = 'docker-compose.yml';
const compose = loadYaml(COMPOSE_FILE);
const services = obj(compose.services, 'services');
const service = (name: string): JsonObject => obj(services[name], `services.${name}`);
const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');

/** `docker compose` is usable (the docker client and its compose plugin), or why not. */
function dockerCompose(): { ok: true } | { ok: false; why: string } {
  const docker = spawnSync('docker', ['--version'], { encoding: 'utf8' });
  if (docker.error) return { ok: false, why: 'the docker client is not installed' };
  const plugin = spawnSync('docker', ['compose', 'version'], { encoding: 'utf8' });
  if (plugin.status !== 0) return { ok: false, why: `docker has no compose plugin (${(plugin.stderr || plugin.stdout).trim().split('\n')[0]})` };
  return { ok: true };
}

describe('docker-compose.yml', () => {
  it('passes `docker compose --profile tools config -q`', ({ skip }) => {
    const available = dockerCompose();
    if (!available.ok) {
      const note = `docker compose config skipped: ${available.why}`;
      console.warn(note);
      skip(note);
    }
    const result = spawnSync('docker', ['compose', '-f', COMPOSE_FILE, '--profile', 'tools', 'config', '-q'], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
    expect(result.status, `${result.stdout}${result.stderr}`).toBe(0);
  });

  describe('against the Compose Specification schema', () => {
    let index: SchemaIndex | undefined;
    let skipReason: string | undefined;
    beforeAll(async () => {
      ({ index, skip: skipReason } = await loadSchemaIndex());
    }, 600_000);

    const validate = (doc: unknown): string[] => {
      const schema = JSON.parse(readFileSync(join(index!.dir, index!.files['compose-spec.json']!), 'utf8')) as object;
      const check = new Ajv2020({ strict: false, allErrors: true, logger: false }).compile(schema);
      return check(doc) ? [] : formatErrors(check.errors);
    };

    it('is valid', ({ skip }) => {
      if (!index) skip(skipReason);
      expect(validate(compose)).toEqual([]);
    });

    it('the schema rejects a misspelt service key (so the check above can fail)', ({ skip }) => {
      if (!index) skip(skipReason);
      const broken = structuredClone(compose);
      obj(obj(broken.services).envoy).depend_on = ['residency-gate'];
      expect(validate(broken).join('\n')).toMatch(/depend_on/);
    });
  });

  it("runs the Envoy image of the version the tests pin (scripts/ensure-envoy.mjs)", async () => {
    const script = new URL('../../../scripts/ensure-envoy.mjs', import.meta.url).href;
    const { ENVOY_VERSION } = (await import(script)) as { ENVOY_VERSION: string };
    expect(ENVOY_VERSION).toMatch(/^\d+\.\d+\.\d+$/);
    expect(service('envoy').image).toBe(`envoyproxy/envoy:v${ENVOY_VERSION}`);
  });

  it('gives Envoy envoy/compose/envoy.yaml at the official image’s default config path, and publishes on loopback only', () => {
    expect(service('envoy').volumes).toContain('./envoy/compose/envoy.yaml:/etc/envoy/envoy.yaml:ro');
    expect(service('envoy').command).toBeUndefined();
    for (const s of Object.values(services)) {
      for (const p of list(obj(s).ports ?? [])) expect(String(p)).toMatch(/^127\.0\.0\.1:/);
    }
  });

  it('mounts only files that exist in the repository', () => {
    const sources = Object.values(services)
      .flatMap((s) => list(obj(s).volumes ?? []))
      .map((v) => String(v).split(':')[0]!)
      .filter((src) => src.startsWith('./'));
    expect(sources.length).toBeGreaterThanOrEqual(4);
    for (const src of sources) expect(existsSync(join(ROOT, src)), src).toBe(true);
  });

  it('builds residency-gate from the Dockerfile, whose HEALTHCHECK Envoy waits for, and serves the example config on 9191', () => {
    const gate = service('residency-gate');
    expect(gate.build).toBe('.');
    expect(dockerfile).toMatch(/^HEALTHCHECK [\s\S]*?-addr=127\.0\.0\.1:9191/m);
    expect(at(service('envoy'), 'depends_on', 'residency-gate', 'condition')).toBe('service_healthy');
    expect(gate.command).toEqual(['serve', '--config', 'config/example.yaml', '--listen', '0.0.0.0:9191']);
    // The audit volume is where the example config writes (../var, from /app/config).
    expect(list(gate.volumes)).toContain('audit:/app/var');
    expect(String(at(loadYaml('config/example.yaml'), 'audit', 'file'))).toBe('../var/audit.jsonl');
    expect(dockerfile).toMatch(/^WORKDIR \/app$/m);
  });

  it('mounts, read-only, every private key the example config reads (the image has none)', () => {
    const keys = exampleConfigFiles().filter((f) => SECRETISH.test(f));
    expect(keys.length).toBeGreaterThan(0);
    for (const key of keys) expect(list(service('residency-gate').volumes)).toContain(`./${key}:/app/${key}:ro`);
    // Everything else it reads is in the image.
    expect(exampleConfigFiles().filter((f) => !SECRETISH.test(f))).toEqual(['config/example/jwks.json']);
  });

  it('the token one-shot mounts the demo key where `token mint` looks by default, since the image has none', () => {
    const token = service('token');
    expect(token.profiles).toEqual(['tools']);
    expect(token.network_mode).toBe('none');
    expect(list(token.command).slice(0, 2)).toEqual(['token', 'mint']);
    const defaultKey = /join\(packageRoot\(\), '([^']+private\.jwk\.json)'\)/.exec(readFileSync(join(ROOT, 'src/cli/main.ts'), 'utf8'))?.[1];
    expect(defaultKey).toBe('config/example/demo-issuer.private.jwk.json');
    expect(token.volumes).toEqual([`./${defaultKey}:/app/${defaultKey}:ro`]);
    expect(readFileSync(join(ROOT, '.dockerignore'), 'utf8')).toMatch(/^\*\*\/\*\.private\.jwk\.json$/m);
  });
});

describe('envoy/compose/envoy.yaml', () => {
  const composed = loadYaml('envoy/compose/envoy.yaml');
  const reference = loadYaml('envoy/envoy.yaml');
  const CLUSTERS = { residency_gate: 'residency-gate', upstream_eu: 'upstream-eu', upstream_us: 'upstream-us' } as const;

  it('is generated from envoy/envoy.yaml and up to date (else: node envoy/compose/render.mjs)', async () => {
    const script = new URL('../../../envoy/compose/render.mjs', import.meta.url).href;
    const { renderComposeEnvoy } = (await import(script)) as { renderComposeEnvoy(): string };
    expect(readFileSync(join(ROOT, 'envoy/compose/envoy.yaml'), 'utf8') === renderComposeEnvoy(), 'envoy/compose/envoy.yaml is out of date: run node envoy/compose/render.mjs').toBe(true);
  });

  it('differs from envoy/envoy.yaml only in the clusters’ type and addresses', () => {
    const normalize = (config: JsonObject): JsonObject => {
      const copy = structuredClone(config);
      for (const c of list(at(copy, 'static_resources', 'clusters'))) {
        delete obj(c).type;
        delete obj(c).load_assignment;
      }
      return copy;
    };
    expect(normalize(composed)).toEqual(normalize(reference));
  });

  it('resolves compose service names with STRICT_DNS, on the ports those services listen on', () => {
    const gateCommand = list(service('residency-gate').command).map(String);
    const listen = gateCommand[gateCommand.indexOf('--listen') + 1]?.split(':').at(-1);
    for (const [clusterName, serviceName] of Object.entries(CLUSTERS)) {
      const c = list(at(composed, 'static_resources', 'clusters')).map((x) => obj(x)).find((x) => x.name === clusterName);
      expect(c?.type, clusterName).toBe('STRICT_DNS');
      const address = obj(clusterAddress(composed, clusterName).socket_address);
      expect(address.address).toBe(serviceName);
      expect(services[serviceName], serviceName).toBeDefined();
      const port = serviceName === 'residency-gate' ? listen : String(at(service(serviceName), 'environment', 'PORT'));
      expect(String(address.port_value), clusterName).toBe(port);
    }
  });

  it('listens on the port docker-compose.yml publishes', () => {
    const published = String(list(service('envoy').ports)[0]).split(':').at(-1);
    const listener = list(at(composed, 'static_resources', 'listeners')).map((l) => obj(l)).find((l) => l.name === 'ingress');
    expect(String(at(listener, 'address', 'socket_address', 'port_value'))).toBe(published);
    expect(at(listener, 'address', 'socket_address', 'address')).toBe('0.0.0.0');
  });
});
