// `serve --workers 2`: two processes behind one gRPC port (node:cluster shares the listening
// socket with grpc-js's HTTP/2 server), one audit chain per worker that `audit verify` accepts,
// metrics summed by the primary, a crashed worker started again, and SIGTERM draining them all.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { credentials } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { envoyGrpc } from '../../src/envoy/protos.js';
import { checkOnce, envoyCheckRequest } from '../support/grpc-clients.js';
import { testConfigYaml } from '../support/config.js';
import { createTestIssuer, type TestIssuer } from '../support/issuer.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CLI = ['--import', 'tsx', 'src/cli/main.ts'];

interface Primary {
  child: ChildProcess;
  address: string;
  admin: string;
  output(): string;
  exited: Promise<number | null>;
}

async function startPrimary(configFile: string, workers: number): Promise<Primary> {
  const child = spawn(process.execPath, [...CLI, 'serve', '--config', configFile, '--workers', String(workers)], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const line = await new Promise<{ address: string; admin: string }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no "residency-gate serving" in 30 s:\n${out}`)), 30_000);
    const onData = (chunk: Buffer): void => {
      out += chunk.toString('utf8');
      const m = /"address":"([^"]+)","workers":\d+,"admin":"([^"]+)","msg":"residency-gate serving"/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ address: m[1]!, admin: m[2]! });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    void exited.then((code) => reject(new Error(`exited with ${code}:\n${out}`)));
  });
  return { child, ...line, output: () => out, exited };
}

function run(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...CLI, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

interface Ready {
  ready: boolean;
  workers: Array<{ worker: number; pid: number | null; ready: boolean }>;
}

let issuer: TestIssuer;
let dir: string;
let primary: Primary;

beforeAll(async () => {
  issuer = await createTestIssuer();
  dir = await mkdtemp(join(tmpdir(), 'rg-workers-'));
  const configFile = join(dir, 'config.yaml');
  await writeFile(configFile, testConfigYaml(issuer, join(dir, 'audit.jsonl')));
  primary = await startPrimary(configFile, 2);
}, 60_000);

afterAll(async () => {
  if (primary?.child.exitCode === null) {
    primary.child.kill('SIGKILL');
    await primary.exited;
  }
});

async function ready(): Promise<{ status: number; body: Ready }> {
  const res = await fetch(`${primary.admin}/readyz`);
  return { status: res.status, body: (await res.json()) as Ready };
}

describe('serve --workers 2', () => {
  it('both workers answer on the one port, each writing its own audit file', async () => {
    const Authorization = envoyGrpc().envoy.service.auth.v3.Authorization;
    const token = await issuer.mint({ region: 'eu-west-1' });
    // One connection per client: the cluster hands connections to the workers in turn.
    for (let i = 0; i < 8; i++) {
      const client = new Authorization(primary.address, credentials.createInsecure(), { 'grpc.use_local_subchannel_pool': 1 });
      try {
        const r = await checkOnce(client, envoyCheckRequest({ token, authority: 'crm.eu.example.com', requestId: `w-${i}` }));
        expect(r.status?.code).toBe(0);
      } finally {
        client.close();
      }
    }
    const files = (await readdir(dir)).filter((f) => f.endsWith('.jsonl')).sort();
    expect(files).toEqual(['audit.w1.jsonl', 'audit.w2.jsonl']);
    for (const f of files) expect(await readFile(join(dir, f), 'utf8'), f).toContain('"kind":"decision"');
  });

  it('/metrics on the primary sums the workers', async () => {
    const text = await (await fetch(`${primary.admin}/metrics`)).text();
    const total = [...text.matchAll(/^residency_gate_decisions_total\{[^}]*\} (\d+)$/gm)].reduce((n, m) => n + Number(m[1]), 0);
    expect(total).toBe(8);
    expect(text).toMatch(/^residency_gate_workers\{state="ready"\} 2$/m);
  });

  it('audit verify accepts the two chains and reports each', async () => {
    const r = await run(['audit', 'verify', dir]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^OK: 2 chains/);
    expect(r.stdout).toMatch(/chain 1:\n {2}OK: \d+ record/);
  });

  it('starts a worker that died again, with its own audit chain', async () => {
    const before = await ready();
    expect(before.status).toBe(200);
    const victim = before.body.workers[0]!;
    process.kill(victim.pid!, 'SIGKILL');
    await expect.poll(async () => (await ready()).body.workers[0]?.pid, { timeout: 30_000, interval: 200 }).not.toBe(victim.pid);
    await expect.poll(async () => (await ready()).status, { timeout: 30_000, interval: 200 }).toBe(200);
    expect(await (await fetch(`${primary.admin}/metrics`)).text()).toMatch(/^residency_gate_worker_restarts_total 1$/m);
  }, 60_000);

  it('SIGUSR2 to the primary toggles debug logging in the primary and every worker', async () => {
    primary.child.kill('SIGUSR2');
    const changed = () => primary.output().split('\n').filter((l) => l.includes('"log_level":"debug"') && l.includes('"msg":"log level changed')).map((l) => /"worker":(\d)/.exec(l)?.[1] ?? 'primary');
    await expect.poll(() => changed().sort(), { timeout: 10_000 }).toEqual(['1', '2', 'primary']);
  });

  it('SIGTERM to the primary drains every worker and exits 0', async () => {
    const pids = (await ready()).body.workers.map((w) => w.pid!);
    expect(pids.every(alive)).toBe(true);
    primary.child.kill('SIGTERM');
    expect(await primary.exited).toBe(0);
    expect(pids.filter(alive)).toEqual([]);
    expect(primary.output()).toMatch(/"msg":"draining all workers"/);
    // Verifies after the workers closed their files too (each ends with its last checkpoint or record).
    expect((await run(['audit', 'verify', dir])).code).toBe(0);
  }, 30_000);
});

describe('serve --workers 2 when the workers cannot start', () => {
  it('stops with exit 1 and the worker\'s one-line reason, rather than restarting it forever', async () => {
    const own = await mkdtemp(join(tmpdir(), 'rg-workers-bad-'));
    const configFile = join(own, 'config.yaml');
    const yaml = testConfigYaml(issuer, join(own, 'audit.jsonl')).replace(/^server:\n/m, `server:\n  tls: { cert_file: ${join(own, 'missing.crt')}, key_file: ${join(own, 'missing.key')} }\n`);
    await writeFile(configFile, yaml);
    const r = await run(['serve', '--config', configFile, '--workers', '2']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^residency-gate: grpc TLS: ENOENT/m);
    expect(r.stdout).toMatch(/"msg":"worker failed to start; stopping"/);
  }, 60_000);
});
