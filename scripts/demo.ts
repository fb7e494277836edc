// `npm run demo`: a guided tour of residency-gate behind a real Envoy, on loopback, without Docker.
// Starts residency-gate (its CLI, one worker), Envoy with envoy/envoy.yaml (installed on first use
// by scripts/ensure-envoy.mjs), two recording upstreams standing in for an EU and a US service, and
// a local token issuer; then sends a few requests and prints what each side saw, and the audit trail.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { approvalsSection, reviewerToken } from '../test/support/approvals.js';
import { rawTestConfig } from '../test/support/config.js';
import { startEnvoy, type RunningEnvoy } from '../test/support/envoy.js';
import { renderEnvoyConfig } from '../test/support/envoy-config.js';
import { rawRequest, type RawResponse } from '../test/support/http.js';
import { createTestIssuer, type TestIssuer } from '../test/support/issuer.js';
import { outcomesPolicy } from '../test/support/policies.js';
import { freePort } from '../test/support/ports.js';
import { startResidencyGate, type RunningGate } from '../test/support/residency-gate.js';
import { startRecordingUpstream, type RecordedRequest, type RecordingUpstream } from '../test/support/upstream.js';
import { cli } from '../test/support/cli.js';

interface EnsureEnvoyModule {
  ensureEnvoy(): Promise<string>;
}

let gate: RunningGate | undefined;
let envoy: RunningEnvoy | undefined;
const upstreams: RecordingUpstream[] = [];
let workDir: string | undefined;

let stopping: Promise<void> | undefined;
function stopAll(): Promise<void> {
  stopping ??= (async () => {
    await envoy?.stop().catch(() => undefined);
    await gate?.stop().catch(() => undefined);
    await Promise.all(upstreams.map((u) => u.close().catch(() => undefined)));
    if (workDir) await rm(workDir, { recursive: true, force: true }).catch(() => undefined);
  })();
  return stopping;
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    console.log(`\n${signal}: stopping everything…`);
    void stopAll().finally(() => process.exit(130));
  });
}

const excerpt = (text: string, max = 220): string => {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max)}…` : flat;
};
const indent = (text: string): string => text.trimEnd().split('\n').map((l) => `      ${l}`).join('\n');

function step(title: string): void {
  console.log(`\n── ${title} ${'─'.repeat(Math.max(0, 70 - title.length))}`);
}

function showRequest(method: string, path: string, region: string | undefined, body?: string): void {
  console.log(`  → ${method} ${path}   caller region: ${region ?? '(no token)'}${body ? `   body: ${JSON.stringify(body)}` : ''}`);
}

function showResponse(res: RawResponse): void {
  const keys = ['content-type', 'x-residency-decision', 'x-request-id'].filter((h) => res.headers[h] !== undefined);
  console.log(`  ← ${res.status}${keys.map((h) => `   ${h}: ${String(res.headers[h])}`).join('')}`);
  if (res.body.length > 0) console.log(`    body: ${excerpt(res.text())}`);
}

function showUpstream(label: string, got: RecordedRequest | undefined): void {
  if (!got) {
    console.log(`  ${label} upstream: received nothing`);
    return;
  }
  const residency = Object.entries(got.headers).filter(([k]) => k.startsWith('x-residency-'));
  console.log(`  ${label} upstream received ${got.method} ${got.path}`);
  for (const [k, v] of residency) console.log(`      ${k}: ${String(v)}`);
  if (got.body.length > 0) console.log(`      body: ${JSON.stringify(got.body.toString('utf8'))}`);
}

function explain(text: string): void {
  console.log(`  ✓ ${text}`);
}

async function main(): Promise<void> {
  const started = Date.now();
  console.log('residency-gate demo: starting Envoy, residency-gate, two upstreams and a local token issuer on 127.0.0.1…');
  const script = new URL('./ensure-envoy.mjs', import.meta.url).href;
  const { ensureEnvoy } = (await import(script)) as EnsureEnvoyModule;
  const envoyBin = await ensureEnvoy();

  const issuer: TestIssuer = await createTestIssuer();
  workDir = await mkdtemp(join(tmpdir(), 'rg-demo-'));
  const auditDir = join(workDir, 'audit');
  const [grpcPort, adminPort] = [await freePort(), await freePort()];
  const raw = rawTestConfig(issuer, join(auditDir, 'audit.jsonl'), `127.0.0.1:${grpcPort}`, 'info');
  // outcomesPolicy() as in test/e2e/outcomes.test.ts, plus one policy.masking rule: allow-masked masks
  // the request; the EU CRM's answers to US callers are masked too (docs/policy.md, allow-masked).
  const policy = outcomesPolicy();
  policy.masking = [{ profile: 'pii', targets: ['crm-eu'], origin_regions: ['us-east-1'], directions: ['response'] }];
  raw.policy = policy;
  raw.masking = { profiles: { pii: { detectors: { email: 'redact', card: 'redact', iban: 'redact' } } } };
  raw.admin = { listen: `127.0.0.1:${adminPort}` };
  raw.approvals = approvalsSection(issuer, { type: 'file', dir: join(workDir, 'approvals') });
  const adminUrl = `http://127.0.0.1:${adminPort}`;

  const [eu, us] = await Promise.all([
    startRecordingUpstream('eu', {
      // The EU CRM answers with personal data, so that masking has something to do on the way back.
      respond: (req) => ({
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ upstream: 'eu', path: req.path, contact: { name: 'Bob', email: 'bob@example.eu' } }),
      }),
    }),
    startRecordingUpstream('us'),
  ]);
  upstreams.push(eu, us);
  gate = await startResidencyGate(stringify(raw), { workers: 1 });
  envoy = await startEnvoy({
    envoyBin,
    config: renderEnvoyConfig({ listenerPort: 0, adminPort: 0, authzPort: grpcPort, upstreams: { eu: eu.port, us: us.port } }),
  });
  const port = envoy.listenerPort ?? 0;
  console.log(`  Envoy listener  http://127.0.0.1:${port}   (routes /eu/ → EU upstream :${eu.port}, /us/ → US upstream :${us.port}, /llm/ → either)`);
  console.log(`  residency-gate  gRPC 127.0.0.1:${grpcPort} (ext_authz + ext_proc), admin ${adminUrl}`);
  console.log(`  policy          test/support/policies.ts outcomesPolicy(); masking profile "pii" (email, card, iban), also on EU answers to US callers`);

  const token = (region: string, sub = 'alice') => issuer.mint({ region, sub });
  const send = async (opts: { method?: string; path: string; region?: string; sub?: string; body?: string; headers?: Record<string, string> }) => {
    const method = opts.method ?? 'GET';
    showRequest(method, opts.path, opts.region, opts.body);
    const headers: Record<string, string> = { ...(opts.headers ?? {}) };
    if (opts.region) headers.authorization = `Bearer ${await token(opts.region, opts.sub)}`;
    if (opts.body !== undefined) headers['content-type'] ??= 'text/plain';
    const res = await rawRequest({ port, method, path: opts.path, headers, ...(opts.body !== undefined ? { body: opts.body } : {}) });
    showResponse(res);
    return res;
  };
  const seen = (u: RecordingUpstream, marker: string) => u.requests.find((r) => r.path.includes(marker));

  step('1) same region: EU caller → /eu/ (the EU CRM)');
  await send({ path: '/eu/records?demo=1', region: 'eu-west-1' });
  showUpstream('EU', seen(eu, 'demo=1'));
  explain('200: the request reached the EU upstream with x-residency-* headers (origin, target, decision).');
  explain('Decision "would-deny": the dry-run rule crm-lockdown-trial would deny it, but only marks it.');

  step('2) cross-region: EU caller → /us/ (the US analytics service)');
  const held = await send({ path: '/us/report?demo=2', region: 'eu-west-1', sub: 'agent-7', headers: { 'x-residency-justification': 'monthly reconciliation' } });
  showUpstream('US', seen(us, 'demo=2'));
  explain('403 with a JSON reason: rule eu-to-us-analytics needs an approval; nothing reached the US upstream.');

  step('3) no token');
  await send({ path: '/eu/records?demo=3' });
  showUpstream('EU', seen(eu, 'demo=3'));
  explain('401: no caller identity, no region, no access.');

  step('4) masking: US caller POSTs personal data to /eu/notes (allow-masked)');
  const note = 'call bob@example.com back, card 4111 1111 1111 1111, IBAN DE89 3704 0044 0532 0130 00';
  await send({ method: 'POST', path: '/eu/notes?demo=4', region: 'us-east-1', body: note });
  const masked = seen(eu, 'demo=4');
  showUpstream('EU', masked);
  explain('rule us-pii-to-eu-masked: the body was masked by ext_proc before it reached the EU service,');
  explain('and the EU answer (with an email) was masked on its way back to the US caller.');
  const maskedRequestId = String(masked?.headers['x-request-id'] ?? '');

  step('5) reroute: EU caller → /llm/chat');
  await send({ path: '/llm/chat?demo=5', region: 'eu-west-1' });
  showUpstream('EU', seen(eu, 'demo=5'));
  showUpstream('US', seen(us, 'demo=5'));
  explain('rule llm-in-region: the LLM target has one endpoint per region; the EU caller lands on the EU one.');

  step('6) approval: a reviewer approves the ticket from step 2, the caller retries');
  const ticket = String((JSON.parse(held.text()) as { ticket?: unknown }).ticket ?? '');
  const reviewer = await reviewerToken(issuer, 'rita');
  console.log(`  $ residency-gate approvals approve ${ticket} --comment "reconciliation signed off" --admin ${adminUrl}`);
  const approved = await cli('approvals', 'approve', ticket, '--comment', 'reconciliation signed off', '--lifetime', '600', '--token', reviewer, '--admin', adminUrl);
  console.log(indent(approved.stdout || approved.stderr));
  await send({ path: '/us/report?demo=6', region: 'eu-west-1', sub: 'agent-7' });
  showUpstream('US', seen(us, 'demo=6'));
  explain('200 with decision "approved": the grant lets agent-7 (and only agent-7) reach analytics-us. See docs/approvals.md.');

  step('7) audit trail');
  console.log(`  $ residency-gate audit show ${maskedRequestId} <audit dir>    (the masked request from step 4)`);
  const show = await cli('audit', 'show', maskedRequestId, auditDir);
  console.log(indent(show.stdout || show.stderr));
  console.log('  $ residency-gate audit verify <audit dir>');
  const verify = await cli('audit', 'verify', auditDir);
  console.log(indent(verify.stdout || verify.stderr));
  if (verify.code !== 0) throw new Error(`audit verify exited ${String(verify.code)}`);
  explain('every decision (and every masked payload) is a record in a hash chain that audit verify checks.');

  console.log(`\nDone in ${((Date.now() - started) / 1000).toFixed(1)} s. Stopping everything.`);
}

try {
  await main();
  await stopAll();
} catch (error) {
  // After Ctrl-C the children die under us; the signal handler reports and exits.
  if (stopping !== undefined) await stopping;
  else {
    console.error(`\ndemo failed: ${error instanceof Error ? error.message : String(error)}`);
    await stopAll();
    process.exitCode = 1;
  }
}
