// Drives the load tools at a fixed offered rate and turns their JSON into one shape.
//   ghz    (direct Check, gRPC): 16 workers share `connections` HTTP/2 connections, so at most 16
//          Checks are in flight (Envoy, too, multiplexes Checks on few connections). Latencies are
//          exact: percentiles come from ghz's per-request details.
//   fortio (HTTP through Envoy): `connections` keep-alive HTTP/1.1 connections, one request in
//          flight on each. Percentiles come from fortio's histogram at 10 µs resolution (-r 1e-5),
//          interpolated within buckets (100 µs wide near 1 ms, 500 µs near 5 ms).
// Both pace requests from the client's side and measure from the moment a request is sent (no
// correction for coordinated omission): past saturation, look at achieved throughput first.
import { execFile } from 'node:child_process';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { ENVOY_INCLUDE_DIRS } from '../../src/envoy/protos.js';
import { percentile } from './stats.js';

export interface LoadResult {
  readonly tool: 'ghz' | 'fortio';
  readonly offeredRps: number;
  readonly connections: number;
  readonly durationS: number;
  /** Completed requests (successful or not). */
  readonly requests: number;
  /** Non-OK gRPC statuses, or HTTP statuses other than 200, and transport errors. */
  readonly errors: number;
  readonly errorKinds: Record<string, number>;
  readonly achievedRps: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly p999Ms: number;
  readonly maxMs: number;
  readonly meanMs: number;
  /** Through Envoy: its failure and connection counters that rose during the run (bench/lib/envoy-counters.ts). */
  readonly envoyEvents?: Record<string, number>;
}

function run(cmd: string, args: readonly string[], timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { timeout: timeoutMs, maxBuffer: 256 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${cmd} ${args.filter((a) => !a.startsWith('authorization')).join(' ')}: ${error.message}\n${stderr.slice(-2000)}`));
      else resolve(`${stdout}${stderr}`);
    });
  });
}

export interface GhzOptions {
  readonly ghz: string;
  readonly port: number;
  /** Length-delimited CheckRequests (fixtures.writeCheckRequests). */
  readonly binaryFile: string;
  readonly rps: number;
  readonly connections: number;
  readonly durationS: number;
  readonly workDir: string;
}

export const GHZ_WORKERS = 16;

interface GhzReport {
  count: number;
  total: number;
  rps: number;
  average: number;
  slowest: number;
  details?: Array<{ latency: number; status: string; error: string }>;
  statusCodeDistribution?: Record<string, number>;
  errorDistribution?: Record<string, number>;
}

export async function runGhz(o: GhzOptions): Promise<LoadResult> {
  const out = join(o.workDir, `ghz-${process.pid}-${Date.now()}.json`);
  const args = [
    '--insecure',
    '--proto', 'envoy/service/auth/v3/external_auth.proto',
    '--import-paths', ENVOY_INCLUDE_DIRS.join(','),
    '--call', 'envoy.service.auth.v3.Authorization/Check',
    '--binary-file', o.binaryFile,
    '--rps', String(o.rps),
    '--duration', `${o.durationS}s`,
    '--duration-stop', 'wait',
    '--concurrency', String(Math.max(GHZ_WORKERS, o.connections)),
    '--connections', String(o.connections),
    '--timeout', '10s',
    '--format', 'json',
    '--output', out,
    `127.0.0.1:${o.port}`,
  ];
  try {
    await run(o.ghz, args, (o.durationS + 120) * 1000);
    const report = JSON.parse(await readFile(out, 'utf8')) as GhzReport;
    const details = report.details ?? [];
    const latencies = details.map((d) => d.latency / 1e6).sort((a, b) => a - b);
    const errorKinds: Record<string, number> = {};
    let errors = 0;
    for (const d of details) {
      if (d.status !== 'OK') {
        errors += 1;
        const kind = d.status || d.error.slice(0, 80);
        errorKinds[kind] = (errorKinds[kind] ?? 0) + 1;
      }
    }
    const seconds = report.total / 1e9;
    return {
      tool: 'ghz',
      offeredRps: o.rps,
      connections: o.connections,
      durationS: o.durationS,
      requests: report.count,
      errors,
      errorKinds,
      achievedRps: seconds > 0 ? report.count / seconds : 0,
      p50Ms: percentile(latencies, 50),
      p99Ms: percentile(latencies, 99),
      p999Ms: percentile(latencies, 99.9),
      maxMs: latencies.at(-1) ?? NaN,
      meanMs: latencies.reduce((s, v) => s + v, 0) / (latencies.length || 1),
    };
  } finally {
    await rm(out, { force: true });
  }
}

export interface FortioOptions {
  readonly fortio: string;
  readonly url: string;
  readonly headers: Record<string, string>;
  /** POST this file's content (fortio -payload-file) with this content type. */
  readonly payloadFile?: string;
  readonly contentType?: string;
  readonly rps: number;
  readonly connections: number;
  readonly durationS: number;
  readonly workDir: string;
}

interface FortioReport {
  ActualQPS: number;
  ActualDuration: number;
  DurationHistogram: {
    Count: number;
    Max: number;
    Avg: number;
    Percentiles?: Array<{ Percentile: number; Value: number }>;
  };
  RetCodes?: Record<string, number>;
  ErrorsDurationHistogram?: { Count: number };
}

export async function runFortio(o: FortioOptions): Promise<LoadResult> {
  const out = join(o.workDir, `fortio-${process.pid}-${Date.now()}.json`);
  const args = [
    'load',
    '-qps', String(o.rps),
    '-c', String(o.connections),
    '-t', `${o.durationS}s`,
    '-r', '0.00001',
    // Spread the connections' requests evenly over each period: without it fortio's C connections
    // fire together, and every request of the burst queues behind the others (p50 of 8–16 ms at
    // 500 rps with 16 connections, against 2 ms with one).
    '-uniform',
    '-p', '50,99,99.9',
    '-timeout', '10s',
    '-loglevel', 'Error',
    '-json', out,
    ...Object.entries(o.headers).flatMap(([k, v]) => ['-H', `${k}: ${v}`]),
    ...(o.payloadFile ? ['-payload-file', o.payloadFile, '-content-type', o.contentType ?? 'application/json'] : []),
    o.url,
  ];
  try {
    await run(o.fortio, args, (o.durationS + 120) * 1000);
    const report = JSON.parse(await readFile(out, 'utf8')) as FortioReport;
    const h = report.DurationHistogram;
    const p = (q: number): number => (h.Percentiles?.find((x) => Math.abs(x.Percentile - q) < 1e-9)?.Value ?? NaN) * 1000;
    const errorKinds: Record<string, number> = {};
    let errors = 0;
    for (const [code, count] of Object.entries(report.RetCodes ?? {})) {
      if (code !== '200') {
        errors += count;
        errorKinds[`HTTP ${code}`] = count;
      }
    }
    // fortio counts transport errors under code -1.
    return {
      tool: 'fortio',
      offeredRps: o.rps,
      connections: o.connections,
      durationS: o.durationS,
      requests: h.Count,
      errors,
      errorKinds,
      achievedRps: report.ActualQPS,
      p50Ms: p(50),
      p99Ms: p(99),
      p999Ms: p(99.9),
      maxMs: h.Max * 1000,
      meanMs: h.Avg * 1000,
    };
  } finally {
    await rm(out, { force: true });
  }
}
