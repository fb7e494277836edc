// A real redis-server (Debian's package; .ci/run installs it) on a free loopback port, no
// persistence, for the approvals store tests. Missing binary: `redisBin()` is undefined and the
// suites that need it skip with a loud message — CI installs it, so there they always run.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { killOnExit } from './kill-on-exit.js';
import { freePort } from './ports.js';

export interface RunningRedis {
  readonly port: number;
  readonly url: string;
  /** Stops the server (SIGTERM, then SIGKILL); the port stays reserved for start(). */
  stop(): Promise<void>;
  /** Starts it again on the same port (after stop()). */
  start(): Promise<void>;
  logs(): string;
}

export function redisBin(): string | undefined {
  const bin = process.env.REDIS_SERVER_BIN ?? 'redis-server';
  const probe = spawnSync(bin, ['--version'], { encoding: 'utf8' });
  return probe.status === 0 ? bin : undefined;
}

/** Call at the top of a file whose suites need Redis: logs loudly when they will be skipped. */
export function warnIfNoRedis(what: string): boolean {
  const bin = redisBin();
  if (bin === undefined) {
    const line = '!'.repeat(100);
    console.warn(`${line}\n!!! redis-server NOT FOUND: SKIPPING ${what}\n!!! install it (apt-get install -y redis-server; .ci/run does) or set REDIS_SERVER_BIN\n${line}`);
  }
  return bin !== undefined;
}

function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    let data = '';
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.on('data', (c: Buffer) => {
      data += c.toString();
      if (data.includes('\r\n')) done(data.startsWith('+PONG'));
    });
    socket.once('error', () => done(false));
  });
}

export async function startRedis(): Promise<RunningRedis> {
  const bin = redisBin();
  if (bin === undefined) throw new Error('redis-server not found');
  const port = await freePort();
  let child: ChildProcess | undefined;
  let output = '';
  const start = async (): Promise<void> => {
    const c = spawn(bin, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--protected-mode', 'yes'], { stdio: ['ignore', 'pipe', 'pipe'] });
    child = c;
    killOnExit(c);
    c.stdout?.on('data', (b: Buffer) => (output += b.toString()));
    c.stderr?.on('data', (b: Buffer) => (output += b.toString()));
    const deadline = Date.now() + 10_000;
    while (!(await ping(port))) {
      if (c.exitCode !== null) throw new Error(`redis-server exited ${c.exitCode}:\n${output}`);
      if (Date.now() > deadline) throw new Error(`redis-server not answering on ${port}:\n${output}`);
      await sleep(25);
    }
  };
  const stop = async (): Promise<void> => {
    const c = child;
    if (c === undefined || c.exitCode !== null || c.signalCode !== null) return;
    const exited = new Promise((resolve) => c.once('exit', resolve));
    c.kill('SIGTERM');
    const timer = setTimeout(() => c.kill('SIGKILL'), 3000);
    await exited;
    clearTimeout(timer);
  };
  await start();
  return { port, url: `redis://127.0.0.1:${port}`, stop, start, logs: () => output };
}
