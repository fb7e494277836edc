// The benchmark harness (issue 8): residency-gate against a do-nothing gRPC server, an OPA peer
// and Envoy's native filters, directly and through Envoy, with ext_proc bodies, a throughput
// search, an RSS probe and a soak; then the engine micro-benchmarks (bench/masking.ts,
// bench/audit.ts). Results: a table on the terminal and JSON in bench/results/<timestamp>.json.
// Targets print PASS or FAIL; the exit code stays 0 either way (a miss is work, not a crash).
//
//   npm run bench                      everything (about an hour)
//   npm run bench -- --quick           500 and 1,000 rps, short runs, 20 s soak (5–10 minutes)
//   npm run bench -- --suites check,envoy --duration 20 --soak-seconds 600
//
// See docs/benchmarks.md for what each scenario means and how the ratios are computed.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startEnvoy, type RunningEnvoy } from '../test/support/envoy.js';
import { authorizationClient, checkOnce } from '../test/support/grpc-clients.js';
import { AUDIENCE, createTestIssuer, ISSUER, type TestIssuer } from '../test/support/issuer.js';
import { checkRequest, mintToken, mintTokens, piiJson, ROUTE, writeCheckRequests } from './lib/fixtures.js';
import { counterDelta, envoyCounters } from './lib/envoy-counters.js';
import { renderVariant, type EnvoyVariant } from './lib/envoy-variants.js';
import { runFortio, runGhz, type LoadResult } from './lib/loadgen.js';
import { measure, sampleRss, type Measurement, type Watched } from './lib/measure.js';
import { gateConfig, startGate, startNullAuthz, startOpaPeer, startUpstream, type Service } from './lib/processes.js';
import { loadAverage } from './lib/proc.js';
import { report, type BenchResults, type MicroResult, type SoakResult, type StepResult } from './lib/report.js';
import { ensureTools, OPA_LABEL, ROOT, type Tools } from './lib/tools.js';

const SUITES = ['check', 'envoy', 'extproc', 'steps', 'rss', 'soak', 'micro'] as const;
type Suite = (typeof SUITES)[number];

const { values: opts } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    'soak-seconds': { type: 'string' },
    'soak-rps': { type: 'string', default: '1000' },
    duration: { type: 'string' },
    rates: { type: 'string' },
    connections: { type: 'string', default: '1,16' },
    suites: { type: 'string', default: SUITES.join(',') },
    'audit-durability': { type: 'string', default: 'sync' },
    workers: { type: 'string' },
    out: { type: 'string' },
    report: { type: 'string' },
    help: { type: 'boolean', default: false },
  },
});

if (opts.help) {
  console.log(`npm run bench -- [--quick] [--suites ${SUITES.join(',')}] [--duration S] [--rates 500,1000] [--connections 1,16]
                   [--soak-seconds S] [--soak-rps R] [--audit-durability sync|batch|async] [--workers N] [--out FILE]
npm run bench -- --report bench/results/FILE.json     (prints the report of a saved run again)`);
  process.exit(0);
}

if (opts.report) {
  // NaN was stored as null; give it back so that missing numbers stay missing.
  const saved = JSON.parse(readFileSync(opts.report, 'utf8'), (_k, v: unknown) => (v === null ? NaN : v)) as BenchResults;
  console.log(report(saved));
  process.exit(0);
}

const quick = opts.quick;
const numbers = (text: string): number[] => text.split(',').map((s) => Number(s.trim())).filter((n) => Number.isFinite(n) && n > 0);
const plan = {
  quick,
  rates: opts.rates ? numbers(opts.rates) : quick ? [500, 1000] : [500, 1000, 2000, 4000],
  connections: numbers(opts.connections),
  durationS: Number(opts.duration ?? (quick ? 3 : 15)),
  warmupS: quick ? 2 : 5,
  stepRates: quick ? [500, 1000, 2000, 3000, 4000, 6000] : [500, 1000, 1500, 2000, 2500, 3000, 4000, 5000, 6000, 8000],
  stepDurationS: quick ? 3 : 10,
  rssProbeRps: 4000,
  rssProbeS: quick ? 10 : 30,
  soakSeconds: Number(opts['soak-seconds'] ?? (quick ? 20 : 300)),
  soakRps: Number(opts['soak-rps']),
  bodySizes: [1024, 64 * 1024, 1024 * 1024],
  auditDurability: opts['audit-durability'] as 'sync' | 'batch' | 'async',
  /** residency-gate's `serve --workers`; undefined: its default, one per core. */
  workers: opts.workers === undefined ? undefined : Number(opts.workers),
  suites: opts.suites.split(',').map((s) => s.trim()) as Suite[],
};
for (const s of plan.suites) if (!SUITES.includes(s)) throw new Error(`--suites: unknown suite ${s} (known: ${SUITES.join(', ')})`);
if (!['sync', 'batch', 'async'].includes(plan.auditDurability)) throw new Error('--audit-durability: sync, batch or async');
const wants = (s: Suite): boolean => plan.suites.includes(s);

const log = (msg: string): void => void process.stderr.write(`bench: ${msg}\n`);
const errorText = (error: unknown): string => (error instanceof Error ? error.message : String(error)).split('\n').slice(0, 8).join('\n');

// Every child is killed when the runner ends, however it ends.
process.once('SIGINT', () => process.exit(130));
process.once('SIGTERM', () => process.exit(143));

interface Context {
  readonly tools: Partial<Tools>;
  readonly work: string;
  readonly issuer: TestIssuer;
  readonly token: string;
  readonly gate: Service;
  readonly nullAuthz?: Service;
  readonly opa?: Service;
  readonly opaLog?: string;
  readonly upstream: Service;
  readonly envoys: Map<string, RunningEnvoy>;
  readonly failures: Record<string, string>;
}

interface Scenario {
  readonly suite: string;
  readonly id: string;
  readonly watched: readonly Watched[];
  readonly baseline?: string;
  /** Called before each run, outside the measurement (e.g. to mint that run's tokens). */
  prepare?(rate: number, connections: number, durationS: number): Promise<void>;
  load(rate: number, connections: number, durationS: number): Promise<LoadResult>;
}

const watch = (...services: Array<Service | RunningEnvoy | undefined>): Watched[] =>
  services.filter((s): s is Service | RunningEnvoy => s !== undefined).map((s) => ({ name: 'name' in s ? s.name : 'envoy', pid: s.pid }));

function describe(m: Measurement): string {
  const cpu = Object.entries(m.usage).map(([n, u]) => `${n} ${u.cpuUsPerRequest.toFixed(0)} µs/req`).join(', ');
  return `${m.scenario} ${m.offeredRps} rps ×${m.connections}: ${m.achievedRps.toFixed(0)} rps, p50 ${m.p50Ms.toFixed(2)} p99 ${m.p99Ms.toFixed(2)} p99.9 ${m.p999Ms.toFixed(2)} ms${m.errors > 0 ? `, ${m.errors} errors ${JSON.stringify(m.errorKinds)}` : ''}${m.envoyEvents ? ` (Envoy: ${JSON.stringify(m.envoyEvents)})` : ''}; ${cpu}`;
}

/** Runs every scenario at every (rate, connections) point, rotating the order at each point so drift hits all alike. */
async function runGrid(ctx: Context, scenarios: readonly Scenario[], out: Measurement[]): Promise<void> {
  const usable: Scenario[] = [];
  for (const s of scenarios) {
    try {
      const rate = Math.min(500, plan.rates[0] ?? 500);
      await s.prepare?.(rate, 16, plan.warmupS);
      await s.load(rate, 16, plan.warmupS);
      usable.push(s);
    } catch (error) {
      ctx.failures[s.id] = `warm-up failed: ${errorText(error)}`;
      log(`${s.id}: warm-up failed, skipped: ${errorText(error)}`);
    }
  }
  const points = plan.rates.flatMap((rate) => plan.connections.map((connections) => ({ rate, connections })));
  for (const [i, { rate, connections }] of points.entries()) {
    const order = usable.map((_, j) => usable[(i + j) % usable.length]!);
    for (const s of order) {
      try {
        await s.prepare?.(rate, connections, plan.durationS);
        const m = await measure(s.suite, s.id, s.watched, () => s.load(rate, connections, plan.durationS));
        out.push(m);
        log(describe(m));
      } catch (error) {
        ctx.failures[`${s.id}@${rate}x${connections}`] = errorText(error);
        log(`${s.id} ${rate} rps ×${connections}: failed: ${errorText(error)}`);
      }
      if (ctx.opaLog) truncateSync(ctx.opaLog, 0);
    }
  }
}

function envoyUrl(envoy: RunningEnvoy): string {
  return `http://127.0.0.1:${envoy.listenerPort}${ROUTE.path}`;
}

function fortioScenario(ctx: Context, suite: string, id: string, envoyKey: string, watched: Watched[], baseline: string | undefined, payloadFile?: string): Scenario | undefined {
  const envoy = ctx.envoys.get(envoyKey);
  const fortio = ctx.tools.fortio;
  if (!envoy || !fortio) return undefined;
  return {
    suite,
    id,
    watched: [...watched, { name: 'envoy', pid: envoy.pid }],
    ...(baseline ? { baseline } : {}),
    load: async (rate, connections, durationS) => {
      const before = await envoyCounters(envoy);
      const result = await runFortio({
        fortio,
        url: envoyUrl(envoy),
        headers: { authorization: `Bearer ${ctx.token}` },
        ...(payloadFile ? { payloadFile, contentType: 'application/json' } : {}),
        rps: rate,
        connections,
        durationS,
        workDir: ctx.work,
      });
      const envoyEvents = counterDelta(before, await envoyCounters(envoy));
      return Object.keys(envoyEvents).length > 0 ? { ...result, envoyEvents } : result;
    },
  };
}

async function checkSuite(ctx: Context, out: Measurement[]): Promise<Record<string, unknown>> {
  const ghz = ctx.tools.ghz;
  if (!ghz) {
    ctx.failures.check = 'ghz unavailable';
    return {};
  }
  // ghz sends the messages of its file round-robin. The repeated-token file holds one message per
  // request of the longest run (same token, distinct x-request-id); for fresh tokens every run
  // gets a file of its own with newly minted tokens, one per request, so that no token is seen
  // twice in the whole suite (a verification cache could not help).
  const perRun = (rate: number, durationS: number): number => Math.ceil(rate * durationS * 1.05) + 64;
  const count = Math.min(perRun(Math.max(...plan.rates), plan.durationS), 80_000);
  const ttl = 12 * 3600;
  const repeatedFile = join(ctx.work, 'check-repeated.bin');
  const freshFile = join(ctx.work, 'check-fresh.bin');
  const meanBytes = await writeCheckRequests(repeatedFile, [ctx.token], count);
  let minted = 1;
  const prepareFresh = async (rate: number, _connections: number, durationS: number): Promise<void> => {
    const n = Math.min(perRun(rate, durationS), 80_000);
    const tokens = await mintTokens(ctx.issuer, n, ttl, minted);
    minted += n;
    await writeCheckRequests(freshFile, tokens, n);
  };

  // The bench's CheckRequest must be allowed by residency-gate, and answered OK by the floor.
  const client = authorizationClient(`127.0.0.1:${ctx.gate.port}`);
  const answer = await checkOnce(client, checkRequest(ctx.token, 1) as never);
  client.close();
  if (answer.status?.code !== 0) throw new Error(`residency-gate does not allow the bench CheckRequest: ${JSON.stringify(answer).slice(0, 500)}`);

  const direct = (id: string, service: Service | undefined, file: string, baseline?: string, prepare?: Scenario['prepare']): Scenario | undefined =>
    service && {
      suite: 'check',
      id,
      watched: watch(service),
      ...(baseline ? { baseline } : {}),
      ...(prepare ? { prepare } : {}),
      load: (rate, connections, durationS) => runGhz({ ghz, port: service.port, binaryFile: file, rps: rate, connections, durationS, workDir: ctx.work }),
    };
  const scenarios = [
    direct('check/ours-repeated', ctx.gate, repeatedFile, 'check/null'),
    direct('check/ours-fresh', ctx.gate, freshFile, 'check/null', prepareFresh),
    direct('check/null', ctx.nullAuthz, repeatedFile),
  ].filter((s): s is Scenario => s !== undefined);
  await runGrid(ctx, scenarios, out);
  return { repeatedFileMessages: count, freshTokensMinted: minted, meanMessageBytes: Math.round(meanBytes), headers: 20, tokenAlg: 'ES256' };
}

async function envoySuite(ctx: Context, out: Measurement[]): Promise<void> {
  const scenarios = [
    fortioScenario(ctx, 'envoy', 'envoy/none', 'none', [], undefined),
    fortioScenario(ctx, 'envoy', 'envoy/ours', 'authz-ours', watch(ctx.gate), 'envoy/none'),
    fortioScenario(ctx, 'envoy', 'envoy/opa', 'authz-opa', watch(ctx.opa), 'envoy/none'),
    fortioScenario(ctx, 'envoy', 'envoy/native', 'native', [], 'envoy/none'),
    fortioScenario(ctx, 'envoy', 'envoy/ours+extproc-headers', 'extproc-headers', watch(ctx.gate), 'envoy/none'),
  ].filter((s): s is Scenario => s !== undefined);
  await runGrid(ctx, scenarios, out);
}

const sizeName = (bytes: number): string => (bytes >= 1024 * 1024 ? `${bytes / (1024 * 1024)}MiB` : `${bytes / 1024}KiB`);

async function extprocSuite(ctx: Context, out: Measurement[], bodies: Map<number, string>): Promise<void> {
  const scenarios: Array<Scenario | undefined> = [];
  for (const size of plan.bodySizes) {
    const file = bodies.get(size)!;
    const name = sizeName(size);
    scenarios.push(
      fortioScenario(ctx, 'extproc', `extproc/none-${name}`, 'none', [], undefined, file),
      fortioScenario(ctx, 'extproc', `extproc/streamed-${name}`, 'extproc-streamed', watch(ctx.gate), `extproc/none-${name}`, file),
      fortioScenario(ctx, 'extproc', `extproc/buffered-${name}`, 'extproc-buffered', watch(ctx.gate), `extproc/none-${name}`, file),
    );
  }
  await runGrid(ctx, scenarios.filter((s): s is Scenario => s !== undefined), out);
}

/** Raises the offered rate step by step (16 connections) until p99 reaches 5 ms, errors appear, or the rate is not achieved. */
/**
 * Raises the offered rate step by step (16 connections), alternating ours and the OPA peer, until
 * a step is not sustained. Two criteria, each with its own ladder: the issue's (p99 < 5 ms) and,
 * because on a shared 2-core machine Envoy alone is near 5 ms at p99 with 16 connections, p99
 * added over Envoy without filters at the same step < 5 ms (the baseline runs at every step).
 */
async function stepsSuite(ctx: Context): Promise<StepResult[]> {
  const results: StepResult[] = [];
  const candidates = [
    { id: 'envoy/ours', envoy: 'authz-ours', service: ctx.gate },
    { id: 'envoy/opa', envoy: 'authz-opa', service: ctx.opa },
  ].filter((c) => c.service !== undefined && ctx.envoys.has(c.envoy));
  const state = candidates.map((c) => ({ ...c, sustained: 0, sustainedAchieved: 0, sustainedAdded: 0, absDone: false, addedDone: !ctx.envoys.has('none'), steps: [] as StepResult['steps'] }));
  const baseline = ctx.envoys.has('none') ? fortioScenario(ctx, 'steps', 'envoy/none', 'none', [], undefined) : undefined;
  for (const rate of plan.stepRates) {
    const running = state.filter((c) => !c.absDone || !c.addedDone);
    if (running.length === 0) break;
    let baseP99 = NaN;
    if (baseline && running.some((c) => !c.addedDone)) {
      const b = await measure('steps', 'envoy/none', baseline.watched, () => baseline.load(rate, 16, plan.stepDurationS)).catch(() => undefined);
      if (b) {
        baseP99 = b.p99Ms;
        log(`steps ${describe(b)} (baseline)`);
      }
    }
    for (const c of running) {
      const s = fortioScenario(ctx, 'steps', c.id, c.envoy, watch(c.service), undefined)!;
      let ok = false;
      let okAdded = false;
      try {
        const m = await measure('steps', c.id, s.watched, () => s.load(rate, 16, plan.stepDurationS));
        const carried = m.achievedRps >= rate * 0.95 && m.errors <= m.requests * 0.001;
        ok = carried && m.p99Ms < 5;
        okAdded = carried && m.p99Ms - baseP99 < 5;
        c.steps.push({ offeredRps: rate, achievedRps: m.achievedRps, p99Ms: m.p99Ms, addedP99Ms: m.p99Ms - baseP99, errors: m.errors, ok, okAdded });
        log(`steps ${describe(m)} → ${ok ? 'sustained' : 'not sustained'}; added p99 ${(m.p99Ms - baseP99).toFixed(2)} ms → ${okAdded ? 'sustained' : 'not sustained'}`);
      } catch (error) {
        c.steps.push({ offeredRps: rate, achievedRps: 0, p99Ms: NaN, addedP99Ms: NaN, errors: NaN, ok: false, okAdded: false });
        log(`steps ${c.id} ${rate}: failed: ${errorText(error)}`);
      }
      if (ctx.opaLog) truncateSync(ctx.opaLog, 0);
      if (!c.absDone && ok) {
        c.sustained = rate;
        c.sustainedAchieved = c.steps.at(-1)!.achievedRps;
      } else c.absDone = true;
      if (!c.addedDone && okAdded) c.sustainedAdded = rate;
      else c.addedDone = true;
    }
  }
  for (const c of state) {
    results.push({ scenario: c.id, sustainedRps: c.sustained, sustainedAchievedRps: c.sustainedAchieved, sustainedAddedRps: c.sustainedAdded, steps: c.steps, capped: !c.absDone, cappedAdded: !c.addedDone });
  }
  return results;
}

/** The full path (ext_authz + ext_proc STREAMED, 1 KiB JSON with PII) at 4,000 rps: residency-gate's peak RSS. */
async function rssSuite(ctx: Context, bodies: Map<number, string>): Promise<Measurement | undefined> {
  const s = fortioScenario(ctx, 'rss', 'rss/full-path-1KiB', 'extproc-streamed', watch(ctx.gate), undefined, bodies.get(1024));
  if (!s) return undefined;
  const m = await measure('rss', s.id, s.watched, () => s.load(plan.rssProbeRps, 16, plan.rssProbeS));
  log(describe(m));
  return m;
}

async function soakSuite(ctx: Context, bodies: Map<number, string>): Promise<SoakResult | undefined> {
  const s = fortioScenario(ctx, 'soak', 'soak/full-path-1KiB', 'extproc-streamed', watch(ctx.gate), undefined, bodies.get(1024));
  if (!s) return undefined;
  const rss = sampleRss(s.watched, 1000);
  const m = await measure('soak', s.id, s.watched, () => s.load(plan.soakRps, 16, plan.soakSeconds));
  const series = rss.stop();
  log(describe(m));
  return { measurement: m, rps: plan.soakRps, seconds: plan.soakSeconds, series };
}

function runMicro(script: string, args: readonly string[]): MicroResult {
  const started = Date.now();
  try {
    const output = execFileSync(process.execPath, ['--import', 'tsx', join(ROOT, script), ...args], { cwd: ROOT, encoding: 'utf8', maxBuffer: 16 * 1024 * 1024, timeout: 1_200_000 });
    process.stderr.write(output);
    return { script, args: [...args], ok: true, seconds: (Date.now() - started) / 1000, output };
  } catch (error) {
    return { script, args: [...args], ok: false, seconds: (Date.now() - started) / 1000, output: errorText(error) };
  }
}

function gitCommit(): string {
  try {
    const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: ROOT, encoding: 'utf8' }).trim() !== '';
    return dirty ? `${head}+dirty` : head;
  } catch {
    return 'unknown';
  }
}

async function main(): Promise<void> {
  const started = new Date();
  const loadBefore = loadAverage();
  log(`plan: ${JSON.stringify({ ...plan, suites: plan.suites.join(',') })}`);
  if (loadBefore[0] > cpus().length * 0.5) log(`warning: load average ${loadBefore.join(' ')} on ${cpus().length} cores: the machine is busy, numbers are provisional`);
  const { tools, missing } = await ensureTools();
  const failures: Record<string, string> = Object.fromEntries(Object.entries(missing).map(([k, v]) => [`tool:${k}`, v]));

  const work = await mkdtemp(join(tmpdir(), 'rg-bench-'));
  const services: Service[] = [];
  const envoys = new Map<string, RunningEnvoy>();
  const measurements: Measurement[] = [];
  const results: BenchResults = {
    meta: {
      startedAt: started.toISOString(),
      finishedAt: '',
      commit: gitCommit(),
      node: process.version,
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model ?? 'unknown',
      loadAverageBefore: loadBefore,
      loadAverageAfter: [NaN, NaN, NaN],
      opaLabel: OPA_LABEL,
      auditDurability: plan.auditDurability,
      ...(plan.workers === undefined ? {} : { gateWorkers: plan.workers }),
      envoy: tools.envoy ?? 'unavailable',
      envoyConcurrency: 1,
    },
    plan,
    measurements,
    steps: [],
    failures,
    micro: [],
  };
  try {
    const issuer = await createTestIssuer();
    const token = await mintToken(issuer, 0, 12 * 3600);

    // residency-gate as the tests start it, with a masking profile for the bench route's target.
    mkdirSync(join(work, 'audit'));
    const gate = await startGate(gateConfig(issuer, join(work, 'audit', 'audit.jsonl'), plan.auditDurability), plan.workers);
    services.push(gate);
    const upstream = await startUpstream();
    services.push(upstream);
    const nullAuthz = await startNullAuthz().catch((error: unknown) => void (failures['null-authz'] = errorText(error)));
    if (nullAuthz) services.push(nullAuthz);
    let opa: Service | undefined;
    const opaLog = join(work, 'opa-decisions.jsonl');
    if (tools.opaPeer) {
      opa = await startOpaPeer(tools.opaPeer, { jwksFile: issuer.jwksFile, issuer: ISSUER, audience: AUDIENCE, decisionLog: opaLog }).catch((error: unknown) => {
        failures['opa-peer'] = errorText(error);
        return undefined;
      });
      if (opa) services.push(opa);
    }

    // One Envoy per config, all started now and idle while another is loaded.
    const needed: Array<[string, EnvoyVariant, number | undefined]> = [];
    if (wants('envoy') || wants('extproc') || wants('steps')) needed.push(['none', 'none', gate.port]);
    if (wants('envoy') || wants('steps')) needed.push(['authz-ours', 'authz', gate.port], ['authz-opa', 'authz', opa?.port]);
    if (wants('envoy')) needed.push(['native', 'native', gate.port], ['extproc-headers', 'extproc-headers', gate.port]);
    if (wants('extproc') || wants('rss') || wants('soak')) needed.push(['extproc-streamed', 'extproc-streamed', gate.port]);
    if (wants('extproc')) needed.push(['extproc-buffered', 'extproc-buffered', gate.port]);
    if (tools.envoy && tools.fortio) {
      for (const [key, variant, authzPort] of needed) {
        if (authzPort === undefined) continue;
        try {
          const config = await renderVariant({ variant, authzPort, upstreamPort: upstream.port, jwksFile: issuer.jwksFile });
          envoys.set(key, await startEnvoy({ envoyBin: tools.envoy, config, logLevel: 'error' }));
        } catch (error) {
          failures[`envoy:${key}`] = errorText(error);
          log(`Envoy ${key}: ${errorText(error)}`);
        }
      }
    }

    const bodies = new Map<number, string>();
    for (const size of plan.bodySizes) {
      const file = join(work, `body-${size}.json`);
      await writeFile(file, piiJson(size));
      bodies.set(size, file);
    }

    // Every Envoy config must let the bench request through before it is measured.
    for (const [key, envoy] of envoys) {
      const post = key.startsWith('extproc-') && key !== 'extproc-headers';
      const res = await fetch(envoyUrl(envoy), {
        method: post ? 'POST' : 'GET',
        headers: { authorization: `Bearer ${token}`, ...(post ? { 'content-type': 'application/json' } : {}) },
        ...(post ? { body: piiJson(1024) } : {}),
        signal: AbortSignal.timeout(10_000),
      }).catch((error: unknown) => error as Error);
      if (res instanceof Error || res.status !== 200) {
        const why = res instanceof Error ? res.message : `HTTP ${res.status} ${(await res.text()).slice(0, 300)}`;
        failures[`envoy:${key}`] = `sanity request refused: ${why}`;
        log(`Envoy ${key}: sanity request refused (${why}); its scenarios are skipped`);
        await envoy.stop();
        envoys.delete(key);
      }
    }

    const ctx: Context = { tools, work, issuer, token, gate, ...(nullAuthz ? { nullAuthz } : {}), ...(opa ? { opa, opaLog } : {}), upstream, envoys, failures };
    if (opa) log(`OPA peer: ${OPA_LABEL}`);

    const guard = async <T>(name: string, run: () => Promise<T>): Promise<T | undefined> => {
      log(`suite ${name}`);
      try {
        return await run();
      } catch (error) {
        failures[`suite:${name}`] = errorText(error);
        log(`suite ${name} failed: ${errorText(error)}`);
        return undefined;
      }
    };
    if (wants('check')) results.check = await guard('check', () => checkSuite(ctx, measurements));
    if (wants('envoy')) await guard('envoy', () => envoySuite(ctx, measurements));
    if (wants('extproc')) await guard('extproc', () => extprocSuite(ctx, measurements, bodies));
    if (wants('steps')) results.steps = (await guard('steps', () => stepsSuite(ctx))) ?? [];
    if (wants('rss')) results.rss = await guard('rss', () => rssSuite(ctx, bodies));
    if (wants('soak')) results.soak = await guard('soak', () => soakSuite(ctx, bodies));
    results.gateLogTail = gate.logs().slice(-4000);
  } finally {
    await Promise.all([...envoys.values()].map((e) => e.stop()));
    await Promise.all(services.map((s) => s.stop()));
    await rm(work, { recursive: true, force: true });
  }
  if (wants('micro')) {
    log('suite micro (bench/masking.ts, bench/audit.ts)');
    results.micro.push(runMicro('bench/masking.ts', quick ? ['4'] : []));
    results.micro.push(runMicro('bench/audit.ts', quick ? ['2000'] : []));
  }
  results.meta.finishedAt = new Date().toISOString();
  results.meta.loadAverageAfter = loadAverage();

  const text = report(results);
  const file = opts.out ?? join(ROOT, 'bench', 'results', `${started.toISOString().replace(/[:.]/g, '-')}.json`);
  mkdirSync(join(file, '..'), { recursive: true });
  writeFileSync(file, `${JSON.stringify(results, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2)}\n`);
  console.log(text);
  console.log(`\nresults: ${file}`);
}

await main();
