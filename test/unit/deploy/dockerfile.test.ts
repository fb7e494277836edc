// The Dockerfile, linted structurally (no Docker engine here to build it): multi-stage with the
// runtime holding production dependencies only, an unprivileged user, the gRPC HEALTHCHECK on the
// port it exposes and serves, pinned build inputs, and no secret in the image. The .dockerignore
// rules are evaluated against the repository's files to show what the build context holds.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import { describe, expect, it } from 'vitest';
import { exampleConfigFiles, ROOT, SECRETISH } from './support.js';

interface Instruction {
  readonly op: string;
  readonly args: string;
  readonly line: number;
}

interface Stage {
  readonly from: string;
  readonly name: string;
  readonly instructions: Instruction[];
}

/** Instructions with line continuations joined and comments dropped (the parser directive too). */
function parseDockerfile(text: string): Instruction[] {
  const out: Instruction[] = [];
  let pending = '';
  let start = 0;
  text.split('\n').forEach((raw, i) => {
    const line = raw.trimEnd();
    if (pending === '' && (line.trim() === '' || line.trimStart().startsWith('#'))) return;
    if (pending === '') start = i + 1;
    if (line.endsWith('\\')) {
      pending += `${line.slice(0, -1)} `;
      return;
    }
    const full = (pending + line).trim();
    pending = '';
    const m = /^(\w+)\s+(.*)$/s.exec(full);
    if (!m) throw new Error(`Dockerfile:${start}: cannot parse ${full}`);
    out.push({ op: m[1]!.toUpperCase(), args: m[2]!.replace(/\s+/g, ' ').trim(), line: start });
  });
  if (pending !== '') throw new Error('Dockerfile ends in a line continuation');
  return out;
}

const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
const instructions = parseDockerfile(dockerfile);
const globalArgs = new Map<string, string>();
const stages: Stage[] = [];
for (const ins of instructions) {
  if (ins.op === 'FROM') {
    const m = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(ins.args);
    stages.push({ from: m![1]!, name: m![2] ?? String(stages.length), instructions: [] });
  } else if (stages.length === 0) {
    if (ins.op !== 'ARG') throw new Error(`Dockerfile:${ins.line}: only ARG may come before the first FROM`);
    const [k, v] = ins.args.split('=');
    globalArgs.set(k!, v ?? '');
  } else {
    stages.at(-1)!.instructions.push(ins);
  }
}
const stage = (name: string): Stage => {
  const s = stages.find((x) => x.name === name);
  if (!s) throw new Error(`no stage ${name}`);
  return s;
};
const ops = (s: Stage, op: string): Instruction[] => s.instructions.filter((i) => i.op === op);
const image = (s: Stage): string => s.from.replace(/^\$\{(\w+)\}$/, (_m, arg: string) => globalArgs.get(arg) ?? '');
const runtime = stages.at(-1)!;
/** JSON exec form of CMD / ENTRYPOINT / HEALTHCHECK CMD. */
const execForm = (args: string): string[] => JSON.parse(args) as string[];

// --- .dockerignore, with Docker's semantics: the last matching rule wins, "!" re-includes, and a
// rule that matches a directory applies to everything under it.
const ignoreRules = readFileSync(join(ROOT, '.dockerignore'), 'utf8')
  .split('\n')
  .map((l) => l.trim())
  .filter((l) => l !== '' && !l.startsWith('#'))
  .map((l) => {
    const negate = l.startsWith('!');
    const pattern = posix.normalize((negate ? l.slice(1) : l).replace(/^\/+/, '')).replace(/\/+$/, '');
    const source = pattern
      .split('/')
      .map((part) => (part === '**' ? '.*' : part.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]')))
      .join('/')
      .replace(/\.\*\//g, '(?:.*/)?');
    return { negate, re: new RegExp(`^${source}$`) };
  });
function inContext(file: string): boolean {
  const parts = file.split('/');
  const candidates = parts.map((_, i) => parts.slice(0, i + 1).join('/'));
  let excluded = false;
  for (const rule of ignoreRules) if (candidates.some((c) => rule.re.test(c))) excluded = !rule.negate;
  return !excluded;
}
const tracked = spawnSync('git', ['ls-files'], { cwd: ROOT, encoding: 'utf8' }).stdout.split('\n').filter(Boolean);

describe('Dockerfile stages', () => {
  it('has the grpc-health-probe, build, prod-deps and runtime stages, each named once', () => {
    expect(stages.map((s) => s.name)).toEqual(['health-probe', 'build', 'prod-deps', 'runtime']);
  });

  it('builds and runs on Node 20 slim (package.json engines), the probe with a pinned Go', () => {
    const engines = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { engines: { node: string } }).engines.node;
    expect(engines).toBe('>=20');
    for (const name of ['build', 'prod-deps', 'runtime']) expect(image(stage(name)), name).toMatch(/^node:20-[a-z]+-slim$/);
    expect(image(stage('health-probe'))).toMatch(/^golang:1\.\d+-[a-z]+$/);
  });

  it('build: npm ci with dev dependencies (the prepare script generates types and compiles), from the lockfile', () => {
    const build = stage('build');
    expect(ops(build, 'COPY')[0]?.args).toMatch(/^package\.json package-lock\.json /);
    expect(ops(build, 'RUN').map((r) => r.args)).toContainEqual(expect.stringMatching(/^npm ci(?!.*--omit=dev)/));
    const prepare = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts.prepare;
    for (const file of prepare!.match(/\S+\.(?:mjs|json)/g) ?? []) {
      expect(ops(build, 'COPY').some((c) => c.args.split(' ').includes(file) || c.args.includes(posix.basename(file))), file).toBe(true);
    }
  });

  it('prod-deps: production dependencies only, no install scripts', () => {
    expect(ops(stage('prod-deps'), 'RUN').map((r) => r.args)).toContainEqual(expect.stringMatching(/^npm ci --omit=dev --ignore-scripts/));
  });

  it('runtime: production node_modules, dist/src, config and protos only; nothing installed or compiled there', () => {
    const copies = ops(runtime, 'COPY').map((c) => c.args);
    expect(copies).toContain('--from=prod-deps /app/node_modules ./node_modules');
    expect(copies).toContain('--from=build /src/dist/src ./dist/src');
    expect(copies).toContain('package.json ./');
    expect(copies).toContain('config/ ./config/');
    expect(copies.filter((c) => !c.startsWith('--from='))).toEqual(['package.json ./', 'config/ ./config/', 'protos/ ./protos/']);
    expect(ops(runtime, 'RUN').map((r) => r.args).join('\n')).not.toMatch(/\bnpm\b|\btsc\b/);
    expect(ops(runtime, 'ENV').map((e) => e.args)).toContain('NODE_ENV=production');
  });
});

describe('Dockerfile runtime', () => {
  const user = ops(runtime, 'USER');
  const entrypoint = execForm(ops(runtime, 'ENTRYPOINT')[0]!.args);
  const cmd = execForm(ops(runtime, 'CMD')[0]!.args);
  const exposed = ops(runtime, 'EXPOSE').map((e) => e.args);
  const port = exposed[0] ?? '';

  it('runs as an unprivileged numeric user, set before ENTRYPOINT and CMD', () => {
    expect(user).toHaveLength(1);
    const m = /^(\d+):(\d+)$/.exec(user[0]!.args);
    expect(Number(m?.[1])).toBeGreaterThanOrEqual(1000);
    expect(Number(m?.[2])).toBeGreaterThanOrEqual(1000);
    const first = Math.min(...ops(runtime, 'ENTRYPOINT').concat(ops(runtime, 'CMD')).map((i) => i.line));
    expect(user[0]!.line).toBeLessThan(first);
    // The only directory it may write to is the one the example config audits into.
    expect(ops(runtime, 'RUN').map((r) => r.args)).toContain(`mkdir -p /app/var && chown ${user[0]!.args} /app/var`);
  });

  it('runs the CLI, serving the config mounted at /etc/residency-gate/config.yaml (as the Kubernetes Deployment mounts it), on 9191', () => {
    expect(entrypoint).toEqual(['node', 'dist/src/cli/main.js']);
    expect(existsSync(join(ROOT, 'src/cli/main.ts'))).toBe(true);
    expect(cmd).toEqual(['serve', '--config', '/etc/residency-gate/config.yaml']);
    expect(exposed).toEqual(['9191']);
  });

  it('checks its health over gRPC with the grpc-health-probe it builds, on the port it serves', () => {
    const health = ops(runtime, 'HEALTHCHECK');
    expect(health).toHaveLength(1);
    const m = /^(.*?)CMD (\[.*\])$/.exec(health[0]!.args);
    expect(m?.[1]).toMatch(/--interval=\d+s/);
    expect(m?.[1]).toMatch(/--timeout=\d+s/);
    const probe = execForm(m![2]!);
    expect(probe[0]).toBe('grpc-health-probe');
    expect(probe).toContain(`-addr=127.0.0.1:${port}`);
    expect(ops(runtime, 'COPY').map((c) => c.args)).toContain('--from=health-probe /out/grpc-health-probe /usr/local/bin/grpc-health-probe');
    const built = ops(stage('health-probe'), 'RUN').map((r) => r.args);
    expect(built).toContain('go install github.com/grpc-ecosystem/grpc-health-probe@${GRPC_HEALTH_PROBE_VERSION}');
    expect(ops(stage('health-probe'), 'ARG').map((a) => a.args)).toContainEqual(expect.stringMatching(/^GRPC_HEALTH_PROBE_VERSION=v\d+\.\d+\.\d+$/));
    expect(ops(stage('health-probe'), 'ENV').map((e) => e.args).join(' ')).toMatch(/CGO_ENABLED=0 GOTOOLCHAIN=local GOBIN=\/out/);
  });
});

describe('no secrets in the image', () => {
  it('no ADD (no remote URLs, no archives), no secret-looking ENV / ARG', () => {
    expect(instructions.filter((i) => i.op === 'ADD')).toEqual([]);
    for (const i of instructions.filter((x) => x.op === 'ENV' || x.op === 'ARG')) {
      expect(i.args, `Dockerfile:${i.line}`).not.toMatch(/(PASSWORD|SECRET|TOKEN|API_KEY|PRIVATE)/i);
    }
  });

  it('no COPY names a secret-looking file', () => {
    for (const c of instructions.filter((i) => i.op === 'COPY')) expect(c.args, `Dockerfile:${c.line}`).not.toMatch(SECRETISH);
  });

  it('.dockerignore keeps every secret-looking tracked file out of the build context', () => {
    expect(tracked.length).toBeGreaterThan(50);
    const secrets = tracked.filter((f) => SECRETISH.test(f));
    expect(secrets).toContain('config/example/demo-issuer.private.jwk.json');
    for (const f of secrets) expect(inContext(f), f).toBe(false);
  });

  it('the context holds what the Dockerfile copies, and not tests, docs or git metadata', () => {
    for (const f of ['package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json', 'scripts/gen-envoy-types.mjs', 'src/cli/main.ts', 'config/example.yaml', 'config/example/jwks.json']) {
      expect(inContext(f), f).toBe(true);
    }
    for (const f of ['test/support/envoy.ts', 'docs/masking.md', 'README.md', '.git/HEAD', 'node_modules/yaml/package.json', 'dist/src/cli/main.js', 'envoy/envoy.yaml']) {
      expect(inContext(f), f).toBe(false);
    }
    expect(tracked.filter((f) => f.startsWith('src/') && !f.startsWith('src/envoy/generated/')).every(inContext)).toBe(true);
  });

  // docker-compose.yml serves config/example.yaml from the image and mounts the private keys it
  // needs (test/unit/deploy/compose.test.ts checks the mounts).
  it('every file config/example.yaml reads is in the image, except its private keys', () => {
    const refs = exampleConfigFiles();
    expect(refs.length).toBeGreaterThan(0);
    for (const file of refs) {
      expect(existsSync(join(ROOT, file)), file).toBe(true);
      expect(inContext(file), file).toBe(!SECRETISH.test(file));
    }
    expect(refs.filter((f) => !SECRETISH.test(f))).toContain('config/example/jwks.json');
  });
});
