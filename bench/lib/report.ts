// Turns the raw measurements into the report: added latency against the baseline of the same rate
// and connections, CPU per request, the headline ratios, and PASS/FAIL against issue 8's targets.
import type { Measurement, RssSeries } from './measure.js';
import { fmt, ratio, slope, table } from './stats.js';
import { OPA_LABEL } from './tools.js';

export interface StepResult {
  readonly scenario: string;
  /** Highest offered rate (16 connections) with p99 < 5 ms, ≥ 95% achieved and ≤ 0.1% errors; 0 if none. */
  readonly sustainedRps: number;
  readonly sustainedAchievedRps: number;
  /** The same with p99 added over Envoy without filters (measured at the same step) < 5 ms. */
  readonly sustainedAddedRps?: number;
  readonly steps: Array<{ offeredRps: number; achievedRps: number; p99Ms: number; addedP99Ms?: number; errors: number; ok: boolean; okAdded?: boolean }>;
  /** True when the ladder ended before the rate stopped being sustained (the real limit is higher). */
  readonly capped: boolean;
  /** The same for the added-p99 criterion. */
  readonly cappedAdded?: boolean;
}

export interface SoakResult {
  readonly measurement: Measurement;
  readonly rps: number;
  readonly seconds: number;
  readonly series: RssSeries[];
}

export interface MicroResult {
  readonly script: string;
  readonly args: string[];
  readonly ok: boolean;
  readonly seconds: number;
  readonly output: string;
}

export interface Verdict {
  readonly id: string;
  readonly status: 'PASS' | 'FAIL' | 'SKIP';
  readonly target: string;
  readonly measured: string;
}

export interface BenchResults {
  meta: {
    startedAt: string;
    finishedAt: string;
    commit: string;
    node: string;
    cpus: number;
    cpuModel: string;
    loadAverageBefore: number[];
    loadAverageAfter: number[];
    opaLabel: string;
    auditDurability: string;
    /** residency-gate's serve --workers (undefined: its default, one per core). */
    gateWorkers?: number;
    envoy: string;
    envoyConcurrency: number;
  };
  plan: Record<string, unknown>;
  measurements: Measurement[];
  steps: StepResult[];
  failures: Record<string, string>;
  micro: MicroResult[];
  check?: Record<string, unknown>;
  rss?: Measurement;
  soak?: SoakResult;
  gateLogTail?: string;
  labels?: Record<string, string>;
  ratios?: Record<string, number>;
  soakTrend?: Record<string, number>;
  verdicts?: Verdict[];
}

/** What each scenario id stands for, as printed and stored. */
export const LABELS: Record<string, string> = {
  'check/ours-repeated': 'residency-gate Check, the same ES256 token every request',
  'check/ours-fresh': 'residency-gate Check, a fresh ES256 token every request',
  'check/null': 'do-nothing grpc-js Authorization server (the floor)',
  'envoy/none': 'Envoy, router only (baseline)',
  'envoy/ours': 'Envoy ext_authz → residency-gate',
  'envoy/opa': `Envoy ext_authz → ${OPA_LABEL}`,
  'envoy/native': "Envoy's own jwt_authn + rbac (in-process lower bound)",
  'envoy/ours+extproc-headers': 'Envoy ext_authz + ext_proc (headers only) → residency-gate',
  'rss/full-path-1KiB': 'envoy/envoy.yaml as shipped (ext_authz + ext_proc STREAMED), POST 1 KiB JSON with PII',
  'soak/full-path-1KiB': 'envoy/envoy.yaml as shipped (ext_authz + ext_proc STREAMED), POST 1 KiB JSON with PII',
};

function label(id: string): string {
  if (LABELS[id]) return LABELS[id];
  const m = /^extproc\/(none|streamed|buffered)-(.+)$/.exec(id);
  if (m) return m[1] === 'none' ? `Envoy, router only, POST ${m[2]} JSON (baseline)` : `ext_authz + ext_proc ${m[1]!.toUpperCase()} → residency-gate, POST ${m[2]} JSON with PII (masked + hashed)`;
  return id;
}

const SERVER_NAMES = ['residency-gate', 'opa-peer', 'null-authz'];

function server(m: Measurement): string | undefined {
  return Object.keys(m.usage).find((n) => SERVER_NAMES.includes(n));
}

function at(ms: readonly Measurement[], scenario: string, rate: number, connections: number): Measurement | undefined {
  return ms.find((m) => m.scenario === scenario && m.offeredRps === rate && m.connections === connections);
}

/** Sets `added` on every measurement whose scenario has a baseline measured at the same point. */
export function computeAdded(ms: Measurement[], baselines: Record<string, string>): void {
  for (const m of ms) {
    const base = baselines[m.scenario];
    if (!base) continue;
    const b = at(ms, base, m.offeredRps, m.connections);
    if (b) m.added = { baseline: base, p50Ms: m.p50Ms - b.p50Ms, p99Ms: m.p99Ms - b.p99Ms, p999Ms: m.p999Ms - b.p999Ms };
  }
}

/** CPU µs per request of `process` over every run of `scenario` (total CPU / total requests). */
function aggregateCpuUs(ms: readonly Measurement[], scenario: string, process: string): number {
  let cpu = 0;
  let requests = 0;
  for (const m of ms) {
    const u = m.usage[process];
    if (m.scenario !== scenario || !u) continue;
    cpu += u.cpuSeconds;
    requests += m.requests;
  }
  return requests > 0 ? (cpu / requests) * 1e6 : NaN;
}

export function baselinesOf(ms: readonly Measurement[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of ms) {
    if (m.scenario.startsWith('check/ours')) out[m.scenario] = 'check/null';
    else if (m.scenario.startsWith('envoy/') && m.scenario !== 'envoy/none') out[m.scenario] = 'envoy/none';
    else if (/^extproc\/(streamed|buffered)-/.test(m.scenario)) out[m.scenario] = m.scenario.replace(/^extproc\/(streamed|buffered)-/, 'extproc/none-');
  }
  return out;
}

/** RSS trend of residency-gate over the soak: after a warm-up quarter, the lowest RSS of the last third against the first third. */
function soakTrend(soak: SoakResult | undefined): Record<string, number> | undefined {
  const series = soak?.series.find((s) => s.name === 'residency-gate');
  if (!series || series.samples.length < 6) return undefined;
  const end = series.samples.at(-1)![0];
  const window = series.samples.filter(([t]) => t >= end * 0.25);
  const third = Math.max(1, Math.floor(window.length / 3));
  const firstMin = Math.min(...window.slice(0, third).map(([, v]) => v));
  const lastMin = Math.min(...window.slice(-third).map(([, v]) => v));
  return {
    firstThirdMinMiB: firstMin,
    lastThirdMinMiB: lastMin,
    growthMiB: lastMin - firstMin,
    slopeMiBPerMin: slope(window.map(([t]) => t), window.map(([, v]) => v)) * 60,
    maxMiB: Math.max(...series.samples.map(([, v]) => v)),
    allowedGrowthMiB: Math.max(5, firstMin * 0.05),
  };
}

const ms2 = (v: number | undefined): string => (v === undefined || !Number.isFinite(v) ? '-' : `${v.toFixed(2)} ms`);
const times = (v: number): string => (Number.isFinite(v) ? `${v.toFixed(2)}×` : '-');

function verdict(id: string, target: string, ok: boolean | undefined, measured: string): Verdict {
  return { id, target, measured, status: ok === undefined ? 'SKIP' : ok ? 'PASS' : 'FAIL' };
}

export function report(r: BenchResults): string {
  const ms = r.measurements;
  computeAdded(ms, baselinesOf(ms));
  r.labels = Object.fromEntries([...new Set([...ms.map((m) => m.scenario), ...r.steps.map((s) => s.scenario)])].map((id) => [id, label(id)]));
  const out: string[] = [];
  const busy = r.meta.loadAverageBefore[0]! > r.meta.cpus * 0.5 || r.meta.loadAverageAfter[0]! > r.meta.cpus * 0.5;
  out.push(
    `residency-gate benchmark — ${r.meta.startedAt} … ${r.meta.finishedAt}, commit ${r.meta.commit}, node ${r.meta.node}, ${r.meta.cpus} × ${r.meta.cpuModel}`,
    `load average before ${r.meta.loadAverageBefore.map((v) => fmt(v)).join(' ')}, after ${r.meta.loadAverageAfter.map((v) => fmt(v)).join(' ')}${busy ? '  (BUSY MACHINE: numbers are provisional)' : ''}`,
    `residency-gate: built dist/, serve --workers ${r.meta.gateWorkers ?? `default (one per core: ${r.meta.cpus})`}; audit durability: ${r.meta.auditDurability} (every decision fsync'd before the answer when "sync"); Envoy --concurrency ${r.meta.envoyConcurrency}; * = ${OPA_LABEL}`,
    '',
  );

  // --- the grid -------------------------------------------------------------------------------
  const header = ['scenario', 'offered', 'conn', 'achieved', 'errors', 'p50', 'p99', 'p99.9', '+p50', '+p99', '+p99.9', 'server', 'srv µs/req', 'envoy µs/req', 'srv RSS MiB', 'procs'];
  for (const suite of ['check', 'envoy', 'extproc']) {
    const rows = ms
      .filter((m) => m.suite === suite)
      .sort((a, b) => a.scenario.localeCompare(b.scenario) || a.offeredRps - b.offeredRps || a.connections - b.connections)
      .map((m) => {
        const srv = server(m);
        return [
          m.scenario === 'envoy/opa' ? 'envoy/opa*' : m.scenario,
          String(m.offeredRps),
          String(m.connections),
          fmt(m.achievedRps, 0),
          String(m.errors),
          fmt(m.p50Ms),
          fmt(m.p99Ms),
          fmt(m.p999Ms),
          fmt(m.added?.p50Ms),
          fmt(m.added?.p99Ms),
          fmt(m.added?.p999Ms),
          srv ?? '-',
          fmt(srv ? m.usage[srv]?.cpuUsPerRequest : undefined, 0),
          fmt(m.usage.envoy?.cpuUsPerRequest, 0),
          fmt(srv ? m.usage[srv]?.rssMaxMiB : undefined, 1),
          srv ? String(m.usage[srv]?.processes ?? '-') : '-',
        ];
      });
    if (rows.length === 0) continue;
    out.push(`== ${suite} (latencies in ms; + = added over the baseline at the same rate and connections) ==`, table(header, rows), '');
  }

  // --- throughput search, RSS, soak -------------------------------------------------------------
  if (r.steps.length > 0) {
    out.push('== sustained throughput through Envoy (16 connections; p99 < 5 ms, or p99 added over no filter < 5 ms; ≥ 95% of offered, ≤ 0.1% errors) ==');
    out.push(
      table(
        ['scenario', 'sustained (p99<5)', 'achieved there', 'sustained (+p99<5)', 'steps (offered:p99/+p99 ms)'],
        r.steps.map((s) => [
          s.scenario === 'envoy/opa' ? 'envoy/opa*' : s.scenario,
          `${s.sustainedRps}${s.capped ? '+' : ''}`,
          fmt(s.sustainedAchievedRps, 0),
          s.sustainedAddedRps === undefined ? '-' : `${s.sustainedAddedRps}${s.cappedAdded === true ? '+' : ''}`,
          s.steps.map((x) => `${x.offeredRps}:${fmt(x.p99Ms)}${x.ok ? '' : '✗'}/${fmt(x.addedP99Ms)}${x.okAdded === false ? '✗' : ''}`).join(' '),
        ]),
      ),
      '',
    );
  }
  const trend = soakTrend(r.soak);
  if (trend) r.soakTrend = trend;
  if (r.rss) out.push(`RSS probe: ${label(r.rss.scenario)} at ${r.rss.offeredRps} rps ×16 for ${r.rss.durationS} s: achieved ${fmt(r.rss.achievedRps, 0)} rps, p99 ${ms2(r.rss.p99Ms)}, residency-gate max RSS ${fmt(r.rss.usage['residency-gate']?.rssMaxMiB, 1)} MiB in ${r.rss.usage['residency-gate']?.processes ?? '-'} process(es), largest ${fmt(r.rss.usage['residency-gate']?.rssMaxProcessMiB, 1)} MiB`);
  if (r.soak && trend) {
    const m = r.soak.measurement;
    out.push(
      `soak: ${r.soak.seconds} s at ${r.soak.rps} rps ×16 (${label(m.scenario)}): achieved ${fmt(m.achievedRps, 0)} rps, p99 ${ms2(m.p99Ms)}, errors ${m.errors}; residency-gate RSS ${fmt(trend.firstThirdMinMiB, 1)} → ${fmt(trend.lastThirdMinMiB, 1)} MiB (lowest of first/last third after warm-up), slope ${fmt(trend.slopeMiBPerMin, 2)} MiB/min, max ${fmt(trend.maxMiB, 1)} MiB`,
    );
  }
  if (r.rss || r.soak) out.push('');

  // --- headline ratios --------------------------------------------------------------------------
  const p = (scenario: string): Measurement | undefined => at(ms, scenario, 1000, 16);
  const ours = p('envoy/ours');
  const opa = p('envoy/opa');
  const native = p('envoy/native');
  const headers = p('envoy/ours+extproc-headers');
  const cpuRepeated = aggregateCpuUs(ms, 'check/ours-repeated', 'residency-gate');
  const cpuFresh = aggregateCpuUs(ms, 'check/ours-fresh', 'residency-gate');
  const cpuNull = aggregateCpuUs(ms, 'check/null', 'null-authz');
  const cpuOursEnvoy = aggregateCpuUs(ms, 'envoy/ours', 'residency-gate');
  const cpuOpaEnvoy = aggregateCpuUs(ms, 'envoy/opa', 'opa-peer');
  const envoyCpu = (m: Measurement | undefined): number => m?.usage.envoy?.cpuUsPerRequest ?? NaN;
  const srvCpu = (m: Measurement | undefined): number => (m ? (m.usage['residency-gate'] ?? m.usage['opa-peer'])?.cpuUsPerRequest ?? 0 : NaN);
  const stepOurs = r.steps.find((s) => s.scenario === 'envoy/ours');
  const stepOpa = r.steps.find((s) => s.scenario === 'envoy/opa');
  const ratios: Record<string, number> = {
    'check_cpu_per_req_ours_repeated_vs_null': ratio(cpuRepeated, cpuNull),
    'check_cpu_per_req_ours_fresh_vs_null': ratio(cpuFresh, cpuNull),
    'envoy_server_cpu_per_req_ours_vs_opa': ratio(cpuOursEnvoy, cpuOpaEnvoy),
    'envoy_added_p99_ours_vs_opa_1000x16': ratio(ours?.added?.p99Ms, opa?.added?.p99Ms),
    'envoy_added_p99_ours_vs_native_1000x16': ratio(ours?.added?.p99Ms, native?.added?.p99Ms),
    'envoy_total_cpu_per_req_ours_vs_native_1000x16': ratio(envoyCpu(ours) + srvCpu(ours), envoyCpu(native)),
    'sustained_rps_ours_vs_opa': ratio(stepOurs?.sustainedRps, stepOpa?.sustainedRps),
    'sustained_rps_added_p99_ours_vs_opa': ratio(stepOurs?.sustainedAddedRps, stepOpa?.sustainedAddedRps),
  };
  r.ratios = ratios;
  out.push('== headline ratios (ours ÷ other; CPU = utime+stime from /proc per completed request) ==');
  out.push(
    table(
      ['comparison', 'ours', 'other', 'ratio'],
      [
        ['Check CPU/req, same token vs do-nothing server (all direct runs)', `${fmt(cpuRepeated, 0)} µs`, `${fmt(cpuNull, 0)} µs`, times(ratios.check_cpu_per_req_ours_repeated_vs_null!)],
        ['Check CPU/req, fresh tokens vs do-nothing server (all direct runs)', `${fmt(cpuFresh, 0)} µs`, `${fmt(cpuNull, 0)} µs`, times(ratios.check_cpu_per_req_ours_fresh_vs_null!)],
        ['server CPU/req through Envoy vs OPA peer* (all envoy runs)', `${fmt(cpuOursEnvoy, 0)} µs`, `${fmt(cpuOpaEnvoy, 0)} µs`, times(ratios.envoy_server_cpu_per_req_ours_vs_opa!)],
        ['added p99 vs OPA peer* (1,000 rps ×16)', ms2(ours?.added?.p99Ms), ms2(opa?.added?.p99Ms), times(ratios.envoy_added_p99_ours_vs_opa_1000x16!)],
        ['added p99 vs native jwt_authn+rbac (1,000 rps ×16)', ms2(ours?.added?.p99Ms), ms2(native?.added?.p99Ms), times(ratios.envoy_added_p99_ours_vs_native_1000x16!)],
        ['Envoy+server CPU/req vs Envoy with native filters (1,000 rps ×16)', `${fmt(envoyCpu(ours) + srvCpu(ours), 0)} µs`, `${fmt(envoyCpu(native), 0)} µs`, times(ratios.envoy_total_cpu_per_req_ours_vs_native_1000x16!)],
        ['sustained rps (p99 < 5 ms) vs OPA peer*', String(stepOurs?.sustainedRps ?? '-'), String(stepOpa?.sustainedRps ?? '-'), times(ratios.sustained_rps_ours_vs_opa!)],
        ['sustained rps (p99 added over no filter < 5 ms) vs OPA peer*', String(stepOurs?.sustainedAddedRps ?? '-'), String(stepOpa?.sustainedAddedRps ?? '-'), times(ratios.sustained_rps_added_p99_ours_vs_opa!)],
      ],
    ),
    '',
  );

  // --- targets -----------------------------------------------------------------------------------
  const at4000 = [r.rss, ...ms.filter((m) => m.offeredRps >= 4000)].map((m) => m?.usage['residency-gate']).filter((u) => u !== undefined);
  const rss4000 = Math.max(-Infinity, ...at4000.map((u) => u.rssMaxMiB));
  const rss4000Process = Math.max(-Infinity, ...at4000.map((u) => u.rssMaxProcessMiB));
  const gateProcesses = Math.max(0, ...at4000.map((u) => u.processes));
  const headersIncrement = headers && ours ? headers.p99Ms - ours.p99Ms : NaN;
  const known = (v: number): boolean | undefined => (Number.isFinite(v) ? true : undefined);
  // A latency is only judged where the offered rate was carried: past saturation, percentiles
  // measure the queue (and a difference of two saturated runs can come out negative).
  const sustained = (m: Measurement | undefined): boolean => m !== undefined && m.achievedRps >= m.offeredRps * 0.95 && m.errors <= m.requests * 0.001;
  const carried = (m: Measurement | undefined): string => (m && !sustained(m) ? `; ${m.scenario} carried only ${m.achievedRps.toFixed(0)} of ${m.offeredRps} rps with ${m.errors} errors` : '');
  const latencyVerdict = (id: string, target: string, runs: Array<Measurement | undefined>, ok: boolean | undefined, measured: string): Verdict => {
    const note = runs.map(carried).join('');
    if (ok === undefined) return verdict(id, target, undefined, measured);
    return verdict(id, target, ok && runs.every(sustained), `${measured}${note}`);
  };
  const verdicts: Verdict[] = [
    verdict('check-cpu-repeated', 'Check CPU/req ≤ 1.5× do-nothing server (same token)', known(ratios.check_cpu_per_req_ours_repeated_vs_null!) && ratios.check_cpu_per_req_ours_repeated_vs_null! <= 1.5, times(ratios.check_cpu_per_req_ours_repeated_vs_null!)),
    verdict('check-cpu-fresh', 'Check CPU/req ≤ 3× do-nothing server (fresh tokens)', known(ratios.check_cpu_per_req_ours_fresh_vs_null!) && ratios.check_cpu_per_req_ours_fresh_vs_null! <= 3, times(ratios.check_cpu_per_req_ours_fresh_vs_null!)),
    latencyVerdict('envoy-added-p99', 'through Envoy, 1,000 rps ×16: added p99 ≤ 1 ms', [ours], known(ours?.added?.p99Ms ?? NaN) && ours!.added!.p99Ms <= 1, ms2(ours?.added?.p99Ms)),
    latencyVerdict('envoy-added-p99-vs-opa', 'through Envoy, 1,000 rps ×16: added p99 ≤ ½ OPA peer*', [ours], known(ratios.envoy_added_p99_ours_vs_opa_1000x16!) && ratios.envoy_added_p99_ours_vs_opa_1000x16! <= 0.5, `${ms2(ours?.added?.p99Ms)} vs ${ms2(opa?.added?.p99Ms)}`),
    verdict(
      'sustained-vs-opa',
      'sustained throughput (p99 < 5 ms) ≥ 2× OPA peer*',
      stepOurs && stepOpa ? stepOurs.sustainedRps >= 2 * stepOpa.sustainedRps && stepOurs.sustainedRps > 0 : undefined,
      `${stepOurs?.sustainedRps ?? '-'}${stepOurs?.capped ? '+' : ''} vs ${stepOpa?.sustainedRps ?? '-'}${stepOpa?.capped ? '+' : ''} rps`,
    ),
    latencyVerdict('extproc-headers-added-p99', 'ext_proc headers-only, 1,000 rps ×16: added p99 ≤ 1 ms (over ext_authz alone)', [headers, ours], known(headersIncrement) && headersIncrement <= 1, `${ms2(headersIncrement)} (total over no filter: ${ms2(headers?.added?.p99Ms)})`),
    verdict('rss-4000', 'residency-gate RSS < 150 MiB at 4,000 rps', Number.isFinite(rss4000) ? rss4000 < 150 : undefined, Number.isFinite(rss4000) ? `${rss4000.toFixed(1)} MiB in ${gateProcesses} process(es), largest ${rss4000Process.toFixed(1)} MiB` : 'no 4,000 rps run'),
    verdict('soak-rss', 'soak: no RSS growth trend', trend ? trend.growthMiB <= trend.allowedGrowthMiB : undefined, trend ? `${fmt(trend.growthMiB, 1)} MiB over ${r.soak!.seconds} s (allowed ${fmt(trend.allowedGrowthMiB, 1)})` : 'no soak'),
  ];
  r.verdicts = verdicts;
  out.push('== targets (issue 8; a FAIL is work to do, the exit code stays 0) ==');
  for (const v of verdicts) out.push(`${v.status.padEnd(4)}  ${v.target}: ${v.measured}`);

  for (const micro of r.micro) {
    const lines = micro.output.split('\n').filter((l) => /^(PASS|FAIL|SKIP)\b|^sync adds/.test(l));
    out.push(`${micro.ok ? '' : 'FAIL  '}${micro.script} ${micro.args.join(' ')} (${micro.seconds.toFixed(0)} s)${micro.ok ? '' : `: ${micro.output.split('\n')[0]}`}`);
    for (const l of lines) out.push(`  ${l}`);
  }
  const failures = Object.entries(r.failures);
  if (failures.length > 0) {
    out.push('', '== what did not run ==');
    for (const [k, v] of failures) out.push(`${k}: ${v.split('\n')[0]}`);
  }
  return out.join('\n');
}
