// Faults through a real Envoy running envoy/envoy.yaml (failure_mode_allow: false, ext_authz timeout
// 0.5 s): residency-gate killed under load, frozen longer than Envoy waits, and its issuers' JWKS
// endpoints down or slow. In each, what the clients got is counted against what the recording
// upstream received and against the decisions in the audit trail: nothing reaches the upstream
// without a passing decision on record, and nothing passes while nobody is deciding.
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { mkdtemp } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Client } from '@grpc/grpc-js';
import { fillDisk, mountSmallDisk, type SmallDisk } from '../integration/audit/small-disk.js';
import { rawTestConfig } from '../support/config.js';
import { startEnvoy, type RunningEnvoy } from '../support/envoy.js';
import { renderEnvoyConfig } from '../support/envoy-config.js';
import { healthClient } from '../support/grpc-clients.js';
import { rawRequest } from '../support/http.js';
import { createTestIssuer, type TestIssuer } from '../support/issuer.js';
import { freePort } from '../support/ports.js';
import { startResidencyGate, type RunningGate } from '../support/residency-gate.js';
import { startRecordingUpstream, type RecordingUpstream } from '../support/upstream.js';

const PASSING = new Set(['allow', 'allow-masked', 'reroute', 'would-deny', 'approved']);

/** Decision records of every file of the trail; a line torn by SIGKILL is skipped, not fatal. */
async function decisionRecords(auditFile: string): Promise<Array<Record<string, unknown>>> {
  const dir = dirname(auditFile);
  const stem = basename(auditFile).replace(/\.jsonl$/, '');
  const files = (await readdir(dir)).filter((f) => f.startsWith(stem) && f.endsWith('.jsonl'));
  const records: Array<Record<string, unknown>> = [];
  for (const f of files) {
    for (const line of (await readFile(join(dir, f), 'utf8')).split('\n')) {
      try {
        const r = JSON.parse(line) as Record<string, unknown>;
        if (r.kind === 'decision') records.push(r);
      } catch {
        // the torn last line of a killed writer
      }
    }
  }
  return records;
}

interface Outcome {
  readonly marker: string;
  readonly startedAt: number;
  readonly endedAt: number;
  /** HTTP status, or 0 for a connection error / reset. */
  readonly status: number;
}

/** `concurrency` clients sending requests back to back until stop() is called. */
function load(port: number, concurrency: number, prefix: string, headers: () => Record<string, string>) {
  const outcomes: Outcome[] = [];
  let running = true;
  let n = 0;
  const loops = Array.from({ length: concurrency }, async () => {
    while (running) {
      const marker = `${prefix}-${n++}`;
      const startedAt = Date.now();
      const status = await rawRequest({ port, path: `/eu/records?m=${marker}`, headers: headers(), timeoutMs: 5_000 }).then(
        (r) => r.status,
        () => 0,
      );
      outcomes.push({ marker, startedAt, endedAt: Date.now(), status });
    }
  });
  return {
    outcomes,
    async stop(): Promise<Outcome[]> {
      running = false;
      await Promise.all(loops);
      return outcomes;
    },
  };
}

describe('residency-gate process faults', () => {
  let issuer: TestIssuer;
  let gate: RunningGate;
  let envoy: RunningEnvoy;
  let eu: RecordingUpstream;
  let us: RecordingUpstream;
  let port: number;
  let token: string;
  const auditFiles: string[] = [];

  const gateYaml = async (): Promise<string> => {
    const auditFile = join(await mkdtemp(join(tmpdir(), 'rg-e2e-faults-')), 'audit.jsonl');
    auditFiles.push(auditFile);
    // A fixed port, so a restarted residency-gate is where Envoy's cluster points.
    return stringify(rawTestConfig(issuer, auditFile, `127.0.0.1:${port}`, 'info'));
  };
  const get = (marker: string) => rawRequest({ port: envoy.listenerPort ?? 0, path: `/eu/records?m=${marker}`, headers: { authorization: `Bearer ${token}` }, timeoutMs: 5_000 });
  const atUpstream = (prefix: string) => eu.requests.filter((r) => new URL(r.path, 'http://x').searchParams.get('m')?.startsWith(`${prefix}-`));

  beforeAll(async () => {
    issuer = await createTestIssuer();
    port = await freePort();
    [gate, eu, us] = await Promise.all([startResidencyGate(await gateYaml(), { workers: 1 }), startRecordingUpstream('eu'), startRecordingUpstream('us')]);
    envoy = await startEnvoy({ envoyBin: inject('envoyBin'), config: renderEnvoyConfig({ listenerPort: 0, adminPort: 0, authzPort: port, upstreams: { eu: eu.port, us: us.port } }) });
    token = await issuer.mint({ region: 'eu-west-1' }, { expiresIn: '30m' });
  });

  afterAll(async () => {
    await envoy?.stop();
    await gate?.stop();
    await Promise.all([eu?.close(), us?.close()]);
  });

  /** Restarts residency-gate on the same port; ms from its "serving" line to the first 200 through Envoy. */
  async function restartAndTimeRecovery(prefix: string): Promise<number> {
    gate = await startResidencyGate(await gateYaml(), { workers: 1 });
    const serving = Date.now();
    for (let i = 0; ; i++) {
      if ((await get(`${prefix}-${i}`)).status === 200) return Date.now() - serving;
      if (Date.now() - serving > 10_000) throw new Error('no recovery within 10 s');
      await sleep(20);
    }
  }

  it('killed with SIGKILL under load: nothing passes unchecked, nothing passes after, and traffic recovers within 2 s of a restart', async () => {
    expect((await get('kill-warm-0')).status).toBe(200);
    const traffic = load(envoy.listenerPort ?? 0, 16, 'kill', () => ({ authorization: `Bearer ${token}` }));
    await sleep(1_500);
    const exited = new Promise((resolve) => gate.process.once('exit', resolve));
    gate.process.kill('SIGKILL');
    await exited;
    const deadAt = Date.now();
    await sleep(1_000);
    const outcomes = await traffic.stop();

    const before = outcomes.filter((o) => o.endedAt < deadAt);
    const after = outcomes.filter((o) => o.startedAt >= deadAt);
    expect(before.filter((o) => o.status === 200).length, 'load was flowing before the kill').toBeGreaterThan(20);
    expect(after.length, 'load kept coming after the kill').toBeGreaterThan(20);
    // Every request sent to a dead residency-gate is refused.
    expect(after.filter((o) => o.status === 200)).toEqual([]);
    expect(new Set(after.map((o) => o.status))).toEqual(new Set([403]));
    // Every request the upstream saw has a passing decision on record; the upstream saw none of
    // the requests made after the kill, and no more requests than were decided as passing.
    const passed = new Set((await decisionRecords(auditFiles.at(-1)!)).filter((r) => PASSING.has(String(r.decision))).map((r) => r.request_id));
    const upstream = atUpstream('kill');
    const unchecked = upstream.filter((r) => !passed.has(r.headers['x-request-id']));
    expect(unchecked).toEqual([]);
    const afterMarkers = new Set(after.map((o) => o.marker));
    expect(upstream.filter((r) => afterMarkers.has(new URL(r.path, 'http://x').searchParams.get('m') ?? ''))).toEqual([]);
    expect(upstream.length).toBeLessThanOrEqual(passed.size);
    const ok = outcomes.filter((o) => o.status === 200).length;
    expect(upstream.length).toBeGreaterThanOrEqual(ok);
    console.info(`SIGKILL under load: ${outcomes.length} requests, ${ok} answered 200, ${upstream.length} at the upstream, ${passed.size} passing decisions on record, ${after.length} after the kill all 403`);

    const recoveryMs = await restartAndTimeRecovery('kill-recover');
    console.info(`recovered ${recoveryMs} ms after residency-gate was serving again`);
    expect(recoveryMs).toBeLessThan(2_000);
  }, 60_000);

  it('frozen (SIGSTOP) longer than Envoy’s 0.5 s timeout: requests are denied, not passed; it recovers on SIGCONT', async () => {
    expect((await get('warm-before-stop')).status).toBe(200);
    gate.process.kill('SIGSTOP');
    const stoppedAt = Date.now();
    let results: Array<{ status: number; ms: number }>;
    try {
      results = await Promise.all(
        Array.from({ length: 6 }, async (_, i) => {
          await sleep(i * 100);
          const t = Date.now();
          const res = await get(`stop-${i}`);
          return { status: res.status, ms: Date.now() - t };
        }),
      );
    } finally {
      await sleep(Math.max(0, 1_000 - (Date.now() - stoppedAt)));
      gate.process.kill('SIGCONT');
    }
    // Denied by the timeout, not by an answer. ext_authz times out after 0.5 s and replies 403; that
    // local reply then passes ext_proc (response_header_mode: SEND), which asks the frozen process
    // too and gives up after message_timeout (2 s) with 504. Either way: refused, nothing upstream.
    for (const r of results) {
      expect([403, 504]).toContain(r.status);
      expect(r.ms).toBeGreaterThanOrEqual(450);
    }
    console.info(`SIGSTOP: ${results.map((r) => `${r.status} after ${r.ms} ms`).join(', ')}`);
    // residency-gate answers the stale Checks once it runs again, too late: Envoy has denied them.
    await sleep(300);
    expect(atUpstream('stop')).toEqual([]);
    const t = Date.now();
    for (let i = 0; (await get(`recover-after-stop-${i}`)).status !== 200; i++) {
      if (Date.now() - t > 2_000) throw new Error('no recovery within 2 s of SIGCONT');
      await sleep(20);
    }
    expect(atUpstream('stop')).toEqual([]);
  }, 30_000);
});

// --- The audit trail's disk fills up ----------------------------------------------------------

type HealthClient = Client & { Check(request: { service: string }, callback: (err: Error | null, response: { status: string }) => void): void };

describe('audit disk full', () => {
  let disk: SmallDisk;
  let issuer: TestIssuer;
  let gate: RunningGate | undefined;
  let envoy: RunningEnvoy | undefined;
  let eu: RecordingUpstream;
  let us: RecordingUpstream;

  beforeAll(async () => {
    disk = await mountSmallDisk(512);
    if (!disk.ok) return;
    issuer = await createTestIssuer();
    await mkdir(join(disk.dir, 'trail'));
    [gate, eu, us] = await Promise.all([
      startResidencyGate(stringify(rawTestConfig(issuer, join(disk.dir, 'trail', 'audit.jsonl'), '127.0.0.1:0', 'info')), { workers: 1 }),
      startRecordingUpstream('eu'),
      startRecordingUpstream('us'),
    ]);
    envoy = await startEnvoy({ envoyBin: inject('envoyBin'), config: renderEnvoyConfig({ listenerPort: 0, adminPort: 0, authzPort: gate.port, upstreams: { eu: eu.port, us: us.port } }) });
  });

  afterAll(async () => {
    await envoy?.stop();
    await gate?.stop();
    await Promise.all([eu?.close(), us?.close()]);
    if (disk?.ok) await disk.unmount();
  });

  it('denies with AUDIT_UNAVAILABLE (503) and reports NOT_SERVING while full; nothing unrecorded reaches the upstream; recovers once space is freed', async (ctx) => {
    if (!disk.ok || gate === undefined || envoy === undefined) {
      ctx.skip(disk.ok ? 'not started' : disk.reason);
      return;
    }
    const running = gate;
    const health = healthClient(running.address) as unknown as HealthClient;
    try {
      const serving = (): Promise<string> => new Promise((resolve, reject) => health.Check({ service: '' }, (e, v) => (e ? reject(e) : resolve(v.status))));
      const token = await issuer.mint({ region: 'eu-west-1' }, { expiresIn: '10m' });
      const get = async (marker: string) => {
        const res = await rawRequest({ port: envoy!.listenerPort ?? 0, path: `/eu/records?m=${marker}`, headers: { authorization: `Bearer ${token}` } });
        let code: string | undefined;
        try {
          code = (JSON.parse(res.text()) as { code?: string }).code;
        } catch {
          // a 200 from the upstream, or Envoy's own reply
        }
        return { status: res.status, code };
      };
      expect(await get('disk-ok-1')).toMatchObject({ status: 200 });

      const filler = await fillDisk(disk.dir);
      // A partly filled page may take a few more records first.
      let first = await get('disk-full-0');
      for (let i = 1; i < 500 && first.status === 200; i++) first = await get(`disk-full-${i}`);
      expect(first).toEqual({ status: 503, code: 'AUDIT_UNAVAILABLE' });
      expect(await serving()).toBe('NOT_SERVING');
      for (let i = 0; i < 5; i++) expect(await get(`disk-refused-${i}`)).toEqual({ status: 503, code: 'AUDIT_UNAVAILABLE' });
      expect(eu.requests.filter((r) => r.path.includes('disk-refused'))).toEqual([]);

      await rm(filler);
      const freed = Date.now();
      while ((await serving()) !== 'SERVING') {
        if (Date.now() - freed > 10_000) throw new Error('still NOT_SERVING 10 s after space was freed');
        await sleep(100);
      }
      expect(await get('disk-ok-2')).toMatchObject({ status: 200 });
      // Every request that reached the upstream has its decision in the trail.
      const recorded = new Set((await decisionRecords(join(disk.dir, 'trail', 'audit.jsonl'))).map((r) => r.request_id));
      expect(eu.requests.filter((r) => !recorded.has(r.headers['x-request-id']))).toEqual([]);
    } finally {
      health.close();
    }
  }, 60_000);
});

// --- JWKS endpoint faults ------------------------------------------------------------------------

interface JwksRoute {
  status?: number;
  body?: unknown;
  delayMs?: number;
}

/** An issuer's JWKS endpoint that a test can take down, slow down or bring back. */
async function startJwksEndpoint(): Promise<{ url: (path: string) => string; set: (path: string, route: JwksRoute) => void; hits: (path: string) => number; close: () => Promise<void> }> {
  const routes = new Map<string, JwksRoute>();
  const hits = new Map<string, number>();
  const server: Server = createServer((req, res) => {
    const path = req.url ?? '/';
    hits.set(path, (hits.get(path) ?? 0) + 1);
    const route = routes.get(path) ?? { status: 404, body: 'not found' };
    const answer = (): void => {
      if (res.destroyed) return;
      res.writeHead(route.status ?? 200, { 'content-type': 'application/json' }).end(typeof route.body === 'string' ? route.body : JSON.stringify(route.body));
    };
    if (route.delayMs !== undefined) setTimeout(answer, route.delayMs);
    else answer();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: (path) => `http://127.0.0.1:${port}${path}`,
    set: (path, route) => void routes.set(path, route),
    hits: (path) => hits.get(path) ?? 0,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

interface UrlIssuer {
  readonly iss: string;
  readonly kid: string;
  readonly privateKey: CryptoKey;
  readonly jwks: { keys: JWK[] };
}

async function urlIssuer(iss: string, kid: string): Promise<UrlIssuer> {
  const { publicKey, privateKey } = await generateKeyPair('ES256', { extractable: true });
  return { iss, kid, privateKey, jwks: { keys: [{ ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' }] } };
}

let jti = 0;
/** A fresh token each time (jti), so the verified-token cache never answers for the verifier. */
const mintFor = (issuer: UrlIssuer, kid = issuer.kid, key = issuer.privateKey): Promise<string> =>
  new SignJWT({ region: 'eu-west-1', jti: `t-${jti++}` })
    .setProtectedHeader({ alg: 'ES256', kid })
    .setIssuer(issuer.iss)
    .setAudience('residency-gate')
    .setSubject('jwks-fault')
    .setIssuedAt()
    .setExpirationTime('10m')
    .sign(key);

describe('JWKS endpoint faults', () => {
  let endpoint: Awaited<ReturnType<typeof startJwksEndpoint>>;
  let a: UrlIssuer;
  let b: UrlIssuer;
  let gate: RunningGate;
  let envoy: RunningEnvoy;
  let eu: RecordingUpstream;
  let us: RecordingUpstream;

  beforeAll(async () => {
    [endpoint, a, b, eu, us] = await Promise.all([
      startJwksEndpoint(),
      urlIssuer('https://a.idp.test', 'a-1'),
      urlIssuer('https://b.idp.test', 'b-1'),
      startRecordingUpstream('eu'),
      startRecordingUpstream('us'),
    ]);
    endpoint.set('/a.json', { body: a.jwks });
    endpoint.set('/b.json', { status: 503, body: 'down' });
    const testIssuer = await createTestIssuer();
    const raw = rawTestConfig(testIssuer, join(await mkdtemp(join(tmpdir(), 'rg-e2e-jwks-')), 'audit.jsonl'), '127.0.0.1:0', 'info');
    raw.identity = {
      issuers: [
        // Refreshed every second, so the outage below is seen by several refreshes.
        { issuer: a.iss, audience: 'residency-gate', jwks: { url: endpoint.url('/a.json') }, jwks_refresh_seconds: 1, jwks_timeout_ms: 200, jwks_cooldown_seconds: 0 },
        // Down from the start: no key has ever loaded.
        { issuer: b.iss, audience: 'residency-gate', jwks: { url: endpoint.url('/b.json') }, jwks_timeout_ms: 200, jwks_cooldown_seconds: 0 },
      ],
    };
    [gate] = await Promise.all([startResidencyGate(stringify(raw), { workers: 1 })]);
    envoy = await startEnvoy({ envoyBin: inject('envoyBin'), config: renderEnvoyConfig({ listenerPort: 0, adminPort: 0, authzPort: gate.port, upstreams: { eu: eu.port, us: us.port } }) });
  });

  afterAll(async () => {
    await envoy?.stop();
    await gate?.stop();
    await Promise.all([eu?.close(), us?.close(), endpoint?.close()]);
  });

  const get = async (marker: string, token: string) => {
    const t = Date.now();
    const res = await rawRequest({ port: envoy.listenerPort ?? 0, path: `/eu/records?m=${marker}`, headers: { authorization: `Bearer ${token}` } });
    let body: { code?: string } = {};
    try {
      body = JSON.parse(res.text()) as { code?: string };
    } catch {
      // Envoy's own replies (timeouts) have no JSON body
    }
    return { status: res.status, code: body.code, ms: Date.now() - t };
  };
  const atUpstream = (marker: string) => eu.requests.filter((r) => r.path.endsWith(`m=${marker}`));

  it('an issuer whose keys never loaded: every token is denied with JWKS_UNAVAILABLE, nothing reaches the upstream', async () => {
    const res = await get('jwks-b-down', await mintFor(b));
    expect(res).toMatchObject({ status: 503, code: 'JWKS_UNAVAILABLE' });
    expect(atUpstream('jwks-b-down')).toEqual([]);
    // Slow instead of down: still no key, still a deny (the fetch gives up at jwks_timeout_ms).
    endpoint.set('/b.json', { body: b.jwks, delayMs: 2_000 });
    const slow = await get('jwks-b-slow', await mintFor(b));
    expect(slow).toMatchObject({ status: 503, code: 'JWKS_UNAVAILABLE' });
    expect(atUpstream('jwks-b-slow')).toEqual([]);
  });

  it('cached keys keep working while the endpoint is down, then while it is slow', async () => {
    expect(await get('jwks-a-up', await mintFor(a))).toMatchObject({ status: 200 });
    endpoint.set('/a.json', { status: 500, body: 'down' });
    const hits = endpoint.hits('/a.json');
    await sleep(2_500);
    expect(endpoint.hits('/a.json'), 'refreshes were attempted during the outage').toBeGreaterThanOrEqual(hits + 2);
    expect(await get('jwks-a-down', await mintFor(a))).toMatchObject({ status: 200 });

    endpoint.set('/a.json', { body: a.jwks, delayMs: 3_000 });
    await sleep(1_500);
    const slow = await get('jwks-a-slow', await mintFor(a));
    expect(slow).toMatchObject({ status: 200 });
    // The background refresh does not hold up the decision.
    expect(slow.ms).toBeLessThan(450);
    expect(atUpstream('jwks-a-down')).toHaveLength(1);
    expect(atUpstream('jwks-a-slow')).toHaveLength(1);
  });

  it('a key the cache does not hold, while the endpoint is slow: denied, not waited for past Envoy’s timeout', async () => {
    const rotated = await generateKeyPair('ES256');
    const res = await get('jwks-a-rotated', await mintFor(a, 'a-2', rotated.privateKey));
    expect(res.status).toBeGreaterThanOrEqual(400);
    // Normally TOKEN_KEY_UNKNOWN after the 200 ms fetch gives up; an Envoy timeout (no body) on a
    // loaded machine is a deny too.
    expect(['TOKEN_KEY_UNKNOWN', undefined]).toContain(res.code);
    expect(atUpstream('jwks-a-rotated')).toEqual([]);
  });

  it('an issuer whose endpoint comes back is served again without a restart', async () => {
    endpoint.set('/b.json', { body: b.jwks });
    expect(await get('jwks-b-back', await mintFor(b))).toMatchObject({ status: 200 });
    expect(atUpstream('jwks-b-back')).toHaveLength(1);
  });
});
