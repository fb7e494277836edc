// Runs a real Envoy process for end-to-end tests, and validates Envoy configs.
//
// startEnvoy() passes --admin-address-path, so the admin port may be 0 in the config (Envoy picks
// one and we read it back); listener ports are read back from the admin /listeners endpoint, so
// they may be 0 too. That avoids the race of probing a free port and binding it later.
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { killOnExit } from './kill-on-exit.js';

export interface StartEnvoyOptions {
  envoyBin: string;
  /** The bootstrap config, YAML text. */
  config: string;
  /** Envoy's --log-level; default "warn". */
  logLevel?: string;
  /** Appended to the command line, e.g. ['--component-log-level', 'ext_authz:debug']. */
  extraArgs?: readonly string[];
  /** How long to wait for /ready and the listeners; default 20 s. */
  readyTimeoutMs?: number;
}

export interface RunningEnvoy {
  readonly pid: number;
  readonly adminPort: number;
  /** http://127.0.0.1:<adminPort> */
  readonly adminUrl: string;
  /** Port of the first listener, if the config has any. */
  readonly listenerPort?: number;
  /** Bound port of every listener, by listener name. */
  readonly listenerPorts: Readonly<Record<string, number>>;
  /** Path of the config file Envoy was started with (deleted by stop()). */
  readonly configFile: string;
  /** GET on the admin interface, e.g. admin('/stats?filter=ext_authz'); resolves to the body text. */
  admin(path: string): Promise<string>;
  /** Reads one counter or gauge from /stats, or undefined when Envoy has no such stat. */
  stat(name: string): Promise<number | undefined>;
  /** Everything Envoy wrote to stdout and stderr so far (the last ~2 MB). */
  logs(): string;
  /** SIGTERM, then SIGKILL after 5 s; resolves once the process has exited. Idempotent. */
  stop(): Promise<void>;
}

export interface EnvoyValidation {
  ok: boolean;
  output: string;
}

const LOG_LIMIT = 2 * 1024 * 1024;
const STOP_GRACE_MS = 5_000;

// Envoy's --base-id names its shared memory and hot-restart sockets. --disable-hot-restart makes it
// irrelevant, but keep it unique per test process (pid) and per instance (counter) regardless.
let instanceCounter = 0;
function nextBaseId(): number {
  const id = (process.pid % 100_000) * 100 + (instanceCounter % 100);
  instanceCounter += 1;
  return id;
}

async function httpGet(url: string, timeoutMs = 2_000): Promise<{ status: number; body: string }> {
  const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  return { status: res.status, body: await res.text() };
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1_000, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

interface ListenerStatus {
  name: string;
  local_address?: { socket_address?: { address?: string; port_value?: number } };
}

export async function startEnvoy(options: StartEnvoyOptions): Promise<RunningEnvoy> {
  const { envoyBin, config, logLevel = 'warn', extraArgs = [], readyTimeoutMs = 20_000 } = options;
  const dir = await mkdtemp(join(tmpdir(), 'residency-gate-envoy-'));
  const configFile = join(dir, 'envoy.yaml');
  const adminAddressFile = join(dir, 'admin-address');
  await writeFile(configFile, config);

  const args = [
    '-c', configFile,
    '--base-id', String(nextBaseId()),
    '--concurrency', '1',
    '--log-level', logLevel,
    '--disable-hot-restart',
    '--admin-address-path', adminAddressFile,
    ...extraArgs,
  ];
  const child = spawn(envoyBin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  killOnExit(child);

  const chunks: Buffer[] = [];
  let logBytes = 0;
  const onData = (chunk: Buffer): void => {
    chunks.push(chunk);
    logBytes += chunk.length;
    while (logBytes > LOG_LIMIT && chunks.length > 1) logBytes -= chunks.shift()!.length;
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  const logs = (): string => Buffer.concat(chunks).toString('utf8');

  let exitInfo: string | undefined;
  const exited = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      exitInfo = signal !== null ? `signal ${signal}` : `exit code ${String(code)}`;
      resolve();
    });
    child.once('error', (error) => {
      exitInfo = `could not start ${envoyBin}: ${error.message}`;
      resolve();
    });
  });

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      if (exitInfo === undefined && child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
        await exited;
        clearTimeout(timer);
      }
      await rm(dir, { recursive: true, force: true });
    })();
    return stopping;
  };

  const fail = async (reason: string): Promise<never> => {
    await stop();
    const cmd = [envoyBin, ...args].join(' ');
    throw new Error(`Envoy did not become ready: ${reason}\ncommand: ${cmd}\n--- envoy output ---\n${logs()}`);
  };

  const deadline = Date.now() + readyTimeoutMs;
  let adminPort: number | undefined;
  let listenerPorts: Record<string, number> | undefined;
  let lastProblem = 'no admin address yet';
  while (listenerPorts === undefined) {
    if (exitInfo !== undefined) return fail(`process ended (${exitInfo})`);
    if (Date.now() > deadline) return fail(`not ready after ${readyTimeoutMs} ms (${lastProblem})`);
    try {
      if (adminPort === undefined) {
        const text = (await readFile(adminAddressFile, 'utf8').catch(() => '')).trim();
        const m = /:(\d+)$/.exec(text);
        if (m) adminPort = Number(m[1]);
      }
      if (adminPort !== undefined) {
        const ready = await httpGet(`http://127.0.0.1:${adminPort}/ready`);
        if (ready.status !== 200) {
          lastProblem = `/ready answered ${ready.status} ${ready.body.trim()}`;
        } else {
          const listeners = await httpGet(`http://127.0.0.1:${adminPort}/listeners?format=json`);
          const statuses = (JSON.parse(listeners.body) as { listener_statuses?: ListenerStatus[] }).listener_statuses ?? [];
          const ports: Record<string, number> = {};
          for (const s of statuses) {
            const port = s.local_address?.socket_address?.port_value;
            if (port !== undefined && port !== 0) ports[s.name] = port;
          }
          const unbound = statuses.filter((s) => ports[s.name] === undefined).map((s) => s.name);
          const connectable = await Promise.all(Object.values(ports).map((p) => canConnect(p)));
          if (unbound.length > 0) lastProblem = `listeners without a port: ${unbound.join(', ')}`;
          else if (connectable.includes(false)) lastProblem = 'a listener does not accept connections yet';
          else listenerPorts = ports;
        }
      }
    } catch (error) {
      lastProblem = error instanceof Error ? error.message : String(error);
    }
    if (listenerPorts === undefined) await sleep(50);
  }

  const port = adminPort!;
  const adminUrl = `http://127.0.0.1:${port}`;
  const admin = async (path: string): Promise<string> => {
    const res = await httpGet(`${adminUrl}${path}`, 5_000);
    if (res.status !== 200) throw new Error(`Envoy admin GET ${path}: ${res.status} ${res.body}`);
    return res.body;
  };
  const firstListener = Object.values(listenerPorts)[0];
  return {
    pid: child.pid!,
    adminPort: port,
    adminUrl,
    ...(firstListener !== undefined ? { listenerPort: firstListener } : {}),
    listenerPorts,
    configFile,
    admin,
    async stat(name) {
      const body = await admin(`/stats?format=json&filter=${encodeURIComponent(`^${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`)}`);
      const stats = (JSON.parse(body) as { stats?: Array<{ name?: string; value?: number }> }).stats ?? [];
      return stats.find((s) => s.name === name)?.value;
    },
    logs,
    stop,
  };
}

/** Runs `envoy --mode validate -c <file>`: parses and checks the whole config without serving. */
export function validateEnvoyConfig(envoyBin: string, file: string): Promise<EnvoyValidation> {
  return new Promise((resolve) => {
    execFile(
      envoyBin,
      ['--mode', 'validate', '-c', file, '--log-level', 'warn'],
      { timeout: 60_000, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const output = `${stdout}${stderr}`;
        resolve({ ok: error === null, output: error !== null && output === '' ? error.message : output });
      },
    );
  });
}

/** validateEnvoyConfig for YAML text (written to a temporary file). */
export async function validateEnvoyConfigText(envoyBin: string, config: string): Promise<EnvoyValidation> {
  const dir = await mkdtemp(join(tmpdir(), 'residency-gate-envoy-validate-'));
  try {
    const file = join(dir, 'envoy.yaml');
    await writeFile(file, config);
    return await validateEnvoyConfig(envoyBin, file);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
