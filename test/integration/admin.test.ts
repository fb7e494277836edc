// The admin port and gRPC health of a real server: /metrics after real calls, /healthz, /readyz
// with its reasons, and a grpc.health.v1 Watch that sees SERVING turn NOT_SERVING on shutdown.
import type { ClientReadableStream } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logging/logger.js';
import { recordConfigReload } from '../../src/metrics/metrics.js';
import { startServer, type RunningServer } from '../../src/server.js';
import { authorizationClient, checkOnce, envoyCheckRequest, healthClient } from '../support/grpc-clients.js';
import { testConfig } from '../support/config.js';
import { createTestIssuer, type TestIssuer } from '../support/issuer.js';

let server: RunningServer;
let issuer: TestIssuer;

beforeAll(async () => {
  issuer = await createTestIssuer();
  server = await startServer((await testConfig(issuer)).config, createLogger('silent'));
});

afterAll(async () => {
  await server?.shutdown();
});

const admin = (path: string) => fetch(`${server.admin!.url}${path}`);

describe('admin HTTP server', () => {
  it('/healthz answers 200 while the process runs', async () => {
    const res = await admin('/healthz');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
  });

  it('/readyz answers 200 when serving, 503 naming the reason otherwise', async () => {
    let res = await admin('/readyz');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ready', ready: true, reasons: [] });

    server.setConfigValid(false);
    res = await admin('/readyz');
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({ status: 'not_ready', ready: false, reasons: ['no_valid_config'] });
    server.setConfigValid(true);
    expect((await admin('/readyz')).status).toBe(200);
  });

  it('/metrics counts decisions by outcome, rule and region pair, with latency, and never a subject or request id', async () => {
    const client = authorizationClient(server.address);
    try {
      const token = await issuer.mint({ region: 'eu-west-1', sub: 'subject-not-a-label' });
      await checkOnce(client, envoyCheckRequest({ token, authority: 'crm.eu.example.com', requestId: 'rid-not-a-label' }));
      await checkOnce(client, envoyCheckRequest({ token, authority: 'api.us.example.com' }));
      await checkOnce(client, envoyCheckRequest({ token: 'garbage', authority: 'api.us.example.com' }));
    } finally {
      client.close();
    }
    recordConfigReload(server.metrics, 'failure');
    const res = await admin('/metrics');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain');
    const text = await res.text();
    expect(text).toMatch(/residency_gate_decisions_total\{outcome="allow",code="none",rule="same-region",origin_region="eu-west-1",target_region="eu-west-1"\} 1/);
    expect(text).toMatch(/residency_gate_decisions_total\{outcome="deny",code="RESIDENCY_CROSS_REGION",rule="[^"]+",origin_region="eu-west-1",target_region="us-east-1"\} 1/);
    expect(text).toMatch(/residency_gate_token_verification_failures_total\{code="TOKEN_MALFORMED"\} 1/);
    expect(text).toMatch(/residency_gate_check_duration_seconds_count\{outcome="allow"\} 1/);
    expect(text).toMatch(/residency_gate_grpc_calls_total\{method="\/envoy.service.auth.v3.Authorization\/Check",code="OK"\} 3/);
    expect(text).toMatch(/residency_gate_jwks_refreshes_total\{issuer="https:\/\/issuer.test.residency-gate",result="success"\} 1/);
    expect(text).toMatch(/residency_gate_audit_fsync_duration_seconds_count \d+/);
    expect(text).toMatch(/residency_gate_config_reloads_total\{result="failure"\} 1/);
    expect(text).toMatch(/residency_gate_ready 1/);
    expect(text).toMatch(/residency_gate_audit_queue_depth 0/);
    expect(text).toMatch(/residency_gate_grpc_streams_open\{method="\/envoy.service.auth.v3.Authorization\/Check"\} 0/);
    expect(text).not.toContain('subject-not-a-label');
    expect(text).not.toContain('rid-not-a-label');
  });

  it('answers 404 elsewhere and 405 to other methods', async () => {
    expect((await admin('/nope')).status).toBe(404);
    expect((await fetch(`${server.admin!.url}/metrics`, { method: 'POST' })).status).toBe(405);
  });
});

describe('gRPC health', () => {
  it('reports SERVING for "", Authorization and ExternalProcessor', async () => {
    const health = healthClient(server.address);
    try {
      for (const service of ['', 'envoy.service.auth.v3.Authorization', 'envoy.service.ext_proc.v3.ExternalProcessor']) {
        const answer = await new Promise<{ status: string }>((resolve, reject) =>
          health.Check({ service }, (err: Error | null, res: { status: string }) => (err ? reject(err) : resolve(res))),
        );
        expect(answer.status, service).toBe('SERVING');
      }
    } finally {
      health.close();
    }
  });
});

describe('shutdown', () => {
  it('a Watch streams SERVING, then NOT_SERVING when the server drains; /readyz says draining', async () => {
    const own = await startServer((await testConfig(issuer)).config, createLogger('silent'));
    const health = healthClient(own.address);
    const seen: string[] = [];
    const stream = health.Watch({ service: 'envoy.service.auth.v3.Authorization' }) as ClientReadableStream<{ status: string }>;
    stream.on('error', () => undefined);
    const notServing = new Promise<void>((resolve) => {
      stream.on('data', (m) => {
        seen.push(m.status);
        if (m.status === 'NOT_SERVING') resolve();
      });
    });
    await expect.poll(() => seen).toEqual(['SERVING']);
    const adminUrl = own.admin!.url;
    const stopping = own.shutdown();
    await notServing;
    expect(seen).toEqual(['SERVING', 'NOT_SERVING']);
    // The Watch keeps the gRPC server draining, so the admin port is still up.
    const ready = await fetch(`${adminUrl}/readyz`).then(async (r) => ({ status: r.status, body: (await r.json()) as unknown }));
    expect(ready).toEqual({ status: 503, body: { status: 'not_ready', ready: false, reasons: ['draining'] } });
    stream.cancel();
    health.close();
    await stopping;
  });
});
