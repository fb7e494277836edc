// Where residency-gate spends its CPU on one benchmark scenario: starts it with one worker under
// V8's sampling profiler (--cpu-prof), drives the scenario's load, stops it, and prints the
// functions and source files with the most self time. The .cpuprofile it leaves opens as a flame
// graph in Chrome DevTools (Performance → Load profile) or https://www.speedscope.app.
//
//   npm run bench:profile -- check-repeated        # ghz → Check, the same token every request
//   npm run bench:profile -- check-fresh           # a new token per request
//   npm run bench:profile -- extproc-1KiB          # through Envoy: ext_authz + ext_proc, POST 1 KiB JSON
//   npm run bench:profile -- extproc-1MiB --rps 20 # the same with 1 MiB of JSON
//   npm run bench:profile -- extproc-headers       # through Envoy: ext_authz + ext_proc on headers only
//   npm run bench:profile -- envoy-authz           # through Envoy: ext_authz alone
//   options: --rps 800 --seconds 15 --connections 16 --audit-durability sync --out DIR --top 30
//            --no-profile (CPU and peak RSS only) --source (src/ through tsx instead of dist/)
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { startEnvoy } from '../test/support/envoy.js';
import { createTestIssuer } from '../test/support/issuer.js';
import { startResidencyGate } from '../test/support/residency-gate.js';
import { renderVariant, type EnvoyVariant } from './lib/envoy-variants.js';
import { mintToken, mintTokens, piiJson, ROUTE, writeCheckRequests } from './lib/fixtures.js';
import { runFortio, runGhz, type LoadResult } from './lib/loadgen.js';
import { cpuSeconds, rssBytes } from './lib/proc.js';
import { buildDist, gateConfig, startUpstream } from './lib/processes.js';
import { ensureEnvoyBin, ensureTools, ROOT } from './lib/tools.js';

const SCENARIOS = ['check-repeated', 'check-fresh', 'extproc-1KiB', 'extproc-1MiB', 'extproc-headers', 'envoy-authz'] as const;
type ScenarioName = (typeof SCENARIOS)[number];

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    rps: { type: 'string', default: '800' },
    seconds: { type: 'string', default: '15' },
    connections: { type: 'string', default: '16' },
    'audit-durability': { type: 'string', default: 'sync' },
    out: { type: 'string', default: join(ROOT, 'bench', 'results', 'profiles') },
    top: { type: 'string', default: '30' },
    'no-profile': { type: 'boolean', default: false },
    source: { type: 'boolean', default: false },
  },
});
const scenario = (positionals[0] ?? 'check-repeated') as ScenarioName;
if (!SCENARIOS.includes(scenario)) {
  console.error(`bench/profile.ts: unknown scenario "${scenario}"; one of ${SCENARIOS.join(', ')}`);
  process.exit(2);
}
const rps = Number(values.rps);
const seconds = Number(values.seconds);
const connections = Number(values.connections);

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** Self time per function and per file, in ms, from a V8 .cpuprofile. */
function summarize(profile: CpuProfile): { functions: Map<string, number>; files: Map<string, number>; totalMs: number } {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  profile.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const functions = new Map<string, number>();
  const files = new Map<string, number>();
  let totalMs = 0;
  for (const [id, us] of selfUs) {
    const frame = byId.get(id)?.callFrame;
    if (!frame) continue;
    const ms = us / 1000;
    totalMs += ms;
    const file = frame.url === '' ? '(native)' : shortUrl(frame.url);
    const fn = `${frame.functionName || '(anonymous)'} ${file}${frame.url ? `:${frame.lineNumber + 1}` : ''}`;
    functions.set(fn, (functions.get(fn) ?? 0) + ms);
    files.set(file, (files.get(file) ?? 0) + ms);
  }
  return { functions, files, totalMs };
}

function shortUrl(url: string): string {
  const path = url.startsWith('file://') ? new URL(url).pathname : url;
  const nm = path.lastIndexOf('node_modules/');
  if (nm >= 0) return path.slice(nm + 'node_modules/'.length);
  return path.startsWith('/') ? relative(ROOT, path) : path;
}

function top(map: Map<string, number>, totalMs: number, n: number): string {
  return [...map.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([name, ms]) => `${((ms / totalMs) * 100).toFixed(1).padStart(5)}%  ${ms.toFixed(0).padStart(7)} ms  ${name}`)
    .join('\n');
}

async function main(): Promise<void> {
  const tools = (await ensureTools()).tools;
  const work = await mkdtemp(join(tmpdir(), 'rg-profile-'));
  const profDir = join(work, 'prof');
  mkdirSync(profDir);
  try {
    const issuer = await createTestIssuer();
    const token = await mintToken(issuer, 0, 3600);
    mkdirSync(join(work, 'audit'));
    const config = gateConfig(issuer, join(work, 'audit', 'audit.jsonl'), values['audit-durability']);
    if (!values['no-profile']) process.env.RG_NODE_FLAGS = `${process.env.RG_NODE_FLAGS ?? ''} --cpu-prof --cpu-prof-dir=${profDir}`;
    if (!values.source) buildDist();
    const gate = await startResidencyGate(config, { workers: 1, timeoutMs: 60_000, built: !values.source });
    gate.process.stdout?.resume();
    gate.process.stderr?.resume();
    let load: () => Promise<LoadResult>;
    const stops: Array<() => Promise<void>> = [];
    if (scenario.startsWith('check-')) {
      if (!tools.ghz) throw new Error('ghz is unavailable');
      const count = Math.ceil(rps * seconds * 1.05) + 64;
      const tokens = scenario === 'check-fresh' ? await mintTokens(issuer, count, 3600, 1) : [token];
      const file = join(work, 'checks.bin');
      await writeCheckRequests(file, tokens, count);
      load = () => runGhz({ ghz: tools.ghz!, port: gate.port, binaryFile: file, rps, connections, durationS: seconds, workDir: work });
    } else {
      if (!tools.fortio) throw new Error('fortio is unavailable');
      const bodySize = scenario === 'extproc-1MiB' ? 1024 * 1024 : 1024;
      const variant: EnvoyVariant = scenario === 'extproc-1KiB' || scenario === 'extproc-1MiB' ? 'extproc-streamed' : scenario === 'extproc-headers' ? 'extproc-headers' : 'authz';
      const upstream = await startUpstream();
      stops.push(() => upstream.stop());
      const envoyConfig = await renderVariant({ variant, authzPort: gate.port, upstreamPort: upstream.port, jwksFile: issuer.jwksFile });
      const envoy = await startEnvoy({ envoyBin: await ensureEnvoyBin(), config: envoyConfig, logLevel: 'error' });
      stops.push(() => envoy.stop());
      const body = join(work, 'body.json');
      writeFileSync(body, piiJson(bodySize));
      load = () =>
        runFortio({
          fortio: tools.fortio!,
          url: `http://127.0.0.1:${envoy.listenerPort}${ROUTE.path}`,
          headers: { authorization: `Bearer ${token}` },
          ...(scenario.startsWith('extproc-1') ? { payloadFile: body } : {}),
          rps,
          connections,
          durationS: seconds,
          workDir: work,
        });
    }
    const pid = gate.process.pid!;
    const cpuBefore = cpuSeconds(pid);
    let rssPeak = rssBytes(pid);
    const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, rssBytes(pid))), 250);
    const result = await load().finally(() => clearInterval(sampler));
    const cpuUs = ((cpuSeconds(pid) - cpuBefore) / Math.max(1, result.requests)) * 1e6;
    for (const stop of stops) await stop();
    await gate.stop();

    const summary = `${scenario}: ${result.requests} requests at ${result.achievedRps.toFixed(0)} rps (offered ${rps}, ${connections} connections, ${seconds} s), ${result.errors} errors; residency-gate ${cpuUs.toFixed(0)} µs CPU per request, peak RSS ${(rssPeak / 2 ** 20).toFixed(0)} MiB (one worker${values['no-profile'] ? '' : ', profiler on'})`;
    if (values['no-profile']) {
      console.log(summary);
      return;
    }
    const file = readdirSync(profDir).find((f) => f.endsWith('.cpuprofile'));
    if (!file) throw new Error('residency-gate wrote no .cpuprofile (did it exit cleanly?)');
    const profile = JSON.parse(readFileSync(join(profDir, file), 'utf8')) as CpuProfile;
    mkdirSync(values.out, { recursive: true });
    const kept = join(values.out, `${scenario}-${new Date().toISOString().replace(/[:.]/g, '-')}.cpuprofile`);
    writeFileSync(kept, JSON.stringify(profile));
    const { functions, files, totalMs } = summarize(profile);
    const n = Number(values.top);
    console.log(summary);
    console.log(`profile: ${kept} (${totalMs.toFixed(0)} ms sampled, including start-up and idle)\n`);
    console.log(`self time by file:\n${top(files, totalMs, n)}\n`);
    console.log(`self time by function:\n${top(functions, totalMs, n)}`);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

await main();
