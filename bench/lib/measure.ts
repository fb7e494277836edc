// One measured run: CPU time of each watched server process before and after the load, RSS
// sampled while it runs, and the load tool's result.
import { cpuSeconds, processTree, rssBytes } from './proc.js';
import type { LoadResult } from './loadgen.js';
import { MIB } from './stats.js';

export interface Watched {
  readonly name: string;
  readonly pid: number;
}

export interface ProcessUsage {
  /** CPU seconds (user + system) the process (and its children) used during the run. */
  readonly cpuSeconds: number;
  /** cpuSeconds / completed requests, in microseconds. */
  readonly cpuUsPerRequest: number;
  /** Highest VmRSS sampled during the run, process and children added up, MiB. */
  readonly rssMaxMiB: number;
  /** Highest VmRSS of any single one of those processes, MiB. */
  readonly rssMaxProcessMiB: number;
  /** How many processes (the server and its children, e.g. cluster workers) were seen. */
  readonly processes: number;
}

export interface Measurement extends LoadResult {
  readonly suite: string;
  readonly scenario: string;
  readonly startedAt: string;
  readonly usage: Record<string, ProcessUsage>;
  /** Set by the runner once the baseline run of the same rate and connections is known. */
  added?: { baseline: string; p50Ms: number; p99Ms: number; p999Ms: number };
}

export interface RssSeries {
  readonly name: string;
  /** [seconds since start, MiB of the process and its children, MiB of the largest single process] */
  readonly samples: Array<[number, number, number]>;
  /** Most processes seen in one sample. */
  processes: number;
}

/** Samples the RSS of `watched` every `everyMs` until stop(). */
export function sampleRss(watched: readonly Watched[], everyMs: number): { stop(): RssSeries[] } {
  const started = performance.now();
  const series: RssSeries[] = watched.map((w) => ({ name: w.name, samples: [], processes: 0 }));
  const take = (): void => {
    const t = (performance.now() - started) / 1000;
    watched.forEach((w, i) => {
      const each = processTree(w.pid).map(rssBytes);
      const s = series[i]!;
      s.samples.push([t, each.reduce((a, b) => a + b, 0) / MIB, Math.max(0, ...each) / MIB]);
      s.processes = Math.max(s.processes, each.length);
    });
  };
  take();
  const timer = setInterval(take, everyMs);
  return {
    stop() {
      clearInterval(timer);
      take();
      return series;
    },
  };
}

export async function measure(suite: string, scenario: string, watched: readonly Watched[], load: () => Promise<LoadResult>): Promise<Measurement> {
  const startedAt = new Date().toISOString();
  const before = watched.map((w) => cpuSeconds(w.pid));
  const rss = sampleRss(watched, 250);
  let series: RssSeries[] = [];
  let result: LoadResult;
  try {
    result = await load();
  } finally {
    series = rss.stop();
  }
  const usage: Record<string, ProcessUsage> = {};
  watched.forEach((w, i) => {
    const cpu = cpuSeconds(w.pid) - before[i]!;
    usage[w.name] = {
      cpuSeconds: cpu,
      cpuUsPerRequest: result.requests > 0 ? (cpu / result.requests) * 1e6 : NaN,
      rssMaxMiB: Math.max(...series[i]!.samples.map(([, v]) => v)),
      rssMaxProcessMiB: Math.max(...series[i]!.samples.map(([, , v]) => v)),
      processes: series[i]!.processes,
    };
  });
  return { ...result, suite, scenario, startedAt, usage };
}
