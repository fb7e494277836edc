// Runs residency-gate as users do, through its CLI in a child process, and reads the bound address
// from its "serving" log line (the config listens on port 0).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface RunningGate {
  readonly port: number;
  readonly address: string;
  readonly process: ChildProcess;
  /** The config file it serves; rewrite it to test a reload. */
  readonly configFile: string;
  logs(): string;
  /** SIGTERM and wait for the exit code. */
  stop(): Promise<number | null>;
}

export interface GateOptions {
  /** How long to wait for the "serving" line; default 15 s. */
  readonly timeoutMs?: number;
  /** `serve --workers N`; unset: the default (one worker per core). */
  readonly workers?: number;
  /** Run the built CLI (dist/, `npm run build`) as the package's bin does, instead of src/ through tsx. */
  readonly built?: boolean;
}

export async function startResidencyGate(configYaml: string, options: GateOptions | number = {}): Promise<RunningGate> {
  const { timeoutMs = 15_000, workers, built = false } = typeof options === 'number' ? { timeoutMs: options } : options;
  const dir = await mkdtemp(join(tmpdir(), 'rg-serve-'));
  const configFile = join(dir, 'config.yaml');
  await writeFile(configFile, configYaml);
  const child = spawn(process.execPath, [...(process.env.RG_NODE_FLAGS ?? '').split(' ').filter(Boolean), ...(built ? ['dist/src/cli/main.js'] : ['--import', 'tsx', 'src/cli/main.ts']), 'serve', '--config', configFile, ...(workers === undefined ? [] : ['--workers', String(workers)])], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const address = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`residency-gate did not start in ${timeoutMs} ms:\n${output}`)), timeoutMs);
    const onData = (chunk: Buffer): void => {
      output += chunk.toString('utf8');
      const match = /"address":"([^"]+)"[^\n]*"msg":"residency-gate serving"/.exec(output);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`residency-gate exited with ${code} before serving:\n${output}`));
    });
  });
  return {
    port: Number(address.slice(address.lastIndexOf(':') + 1)),
    address,
    process: child,
    configFile,
    logs: () => output,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}
