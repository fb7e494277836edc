// The server processes of a benchmark run, each a child process on 127.0.0.1 with a port of its own
// choosing: residency-gate (started as the tests start it), the do-nothing Authorization server,
// the OPA peer and the upstream. Every one is stopped by the runner, and killed if the runner dies.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { rawTestConfig } from '../../test/support/config.js';
import type { TestIssuer } from '../../test/support/issuer.js';
import { killOnExit } from '../../test/support/kill-on-exit.js';
import { startResidencyGate, type RunningGate } from '../../test/support/residency-gate.js';
import { ROUTE } from './fixtures.js';
import { ROOT } from './tools.js';

export interface Service {
  readonly name: string;
  readonly pid: number;
  readonly port: number;
  /** The last ~64 KiB of output. */
  logs(): string;
  stop(): Promise<void>;
}

const TAIL = 64 * 1024;
/** Keeps consuming a child's output (so its pipe never fills and blocks it) but only keeps the tail. */
function drain(child: ChildProcess): () => string {
  let tail = '';
  const onData = (chunk: Buffer): void => {
    tail = (tail + chunk.toString('utf8')).slice(-TAIL);
  };
  for (const stream of [child.stdout, child.stderr]) {
    stream?.removeAllListeners('data');
    stream?.on('data', onData);
  }
  return () => tail;
}

function stopChild(child: ChildProcess, graceMs = 5_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** Spawns `cmd args` and waits for a stdout line matching `ready` (its group 1: the port). */
export async function startService(name: string, cmd: string, args: readonly string[], ready: RegExp, timeoutMs = 30_000): Promise<Service> {
  const child = spawn(cmd, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  killOnExit(child);
  let output = '';
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} did not start in ${timeoutMs} ms:\n${output}`)), timeoutMs);
    const onData = (chunk: Buffer): void => {
      output = (output + chunk.toString('utf8')).slice(-TAIL);
      const m = ready.exec(output);
      if (m?.[1]) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(new Error(`${name}: cannot run ${cmd}: ${error.message}`));
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited (${signal ?? `code ${String(code)}`}) before serving:\n${output}`));
    });
  });
  const logs = drain(child);
  return { name, pid: child.pid!, port, logs: () => output + logs(), stop: () => stopChild(child) };
}

/** A TypeScript entry point of this repository, run as residency-gate is run (node --import tsx). */
export function startTsService(name: string, script: string, args: readonly string[], ready: RegExp): Promise<Service> {
  return startService(name, process.execPath, ['--import', 'tsx', join(ROOT, script), ...args], ready);
}

export const startNullAuthz = (): Promise<Service> => startTsService('null-authz', 'bench/null-authz.ts', [], /null-authz serving [\d.]+:(\d+)/);
export const startUpstream = (): Promise<Service> => startTsService('upstream', 'bench/upstream-server.ts', [], /upstream serving [\d.]+:(\d+)/);

export function startOpaPeer(bin: string, options: { jwksFile: string; issuer: string; audience: string; decisionLog: string }): Promise<Service> {
  return startService(
    'opa-peer',
    bin,
    ['-listen', '127.0.0.1:0', '-jwks', options.jwksFile, '-issuer', options.issuer, '-audience', options.audience, '-decision-log', options.decisionLog],
    /opa-peer serving [\d.]+:(\d+)/,
  );
}

/**
 * residency-gate's config for the benchmark, as YAML: the tests' config (test/support/config.ts)
 * with its audit in the given durability and a masking profile `pii` (email, card, IBAN) for the
 * bench route's target. Logs at `info`, as in production.
 */
export function gateConfig(issuer: TestIssuer, auditFile: string, durability: string): string {
  const raw = rawTestConfig(issuer, auditFile, '127.0.0.1:0', 'info') as { policy: Record<string, unknown>; audit: Record<string, unknown>; masking?: unknown };
  raw.audit.durability = durability;
  raw.masking = { profiles: { pii: { detectors: { email: 'redact', card: 'partial', iban: 'redact' } } } };
  raw.policy.masking = [{ profile: 'pii', targets: [ROUTE.target] }];
  return stringify(raw);
}

/**
 * residency-gate as it is deployed: the built CLI (dist/, compiled first so it matches the tree),
 * started through test/support/residency-gate.ts. That helper keeps all output in memory; under
 * load the info log would grow without bound, so once it serves, the output is drained and only
 * its tail kept.
 */
export async function startGate(configYaml: string, workers?: number): Promise<Service & { gate: RunningGate }> {
  buildDist();
  const gate = await startResidencyGate(configYaml, { timeoutMs: 60_000, built: true, ...(workers === undefined ? {} : { workers }) });
  killOnExit(gate.process);
  const startup = gate.logs();
  const logs = drain(gate.process);
  return {
    name: 'residency-gate',
    pid: gate.process.pid!,
    port: gate.port,
    gate,
    logs: () => `${startup.slice(-TAIL)}${logs()}`,
    stop: async () => {
      await gate.stop();
    },
  };
}

/** `npm run build`: the benchmark measures the compiled JavaScript the package's bin runs. */
export function buildDist(): void {
  execFileSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'], { cwd: ROOT, stdio: 'inherit' });
}
