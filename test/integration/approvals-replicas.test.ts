// Two residency-gate servers sharing one Redis, as two replicas behind one Envoy cluster: a ticket
// opened on one and approved on the other lets requests through on both; a one-use grant passes
// exactly one of 100 concurrent requests spread over both; with Redis down, approval decisions fail
// closed (503 APPROVALS_UNAVAILABLE) while traffic no approval rule holds is untouched.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import type { CheckResponse__Output } from '../../src/envoy/generated/envoy/service/auth/v3/CheckResponse.js';
import type { AuthorizationClient } from '../../src/envoy/generated/envoy/service/auth/v3/Authorization.js';
import { createLogger } from '../../src/logging/logger.js';
import { startServer, type RunningServer } from '../../src/server.js';
import { adminApi, approvalsSection, reviewerToken } from '../support/approvals.js';
import { rawTestConfig } from '../support/config.js';
import { authorizationClient, checkOnce, envoyCheckRequest } from '../support/grpc-clients.js';
import { createTestIssuer, type TestIssuer } from '../support/issuer.js';
import { outcomesPolicy } from '../support/policies.js';
import { startRedis, warnIfNoRedis, type RunningRedis } from '../support/redis.js';

const haveRedis = warnIfNoRedis('the two-replica approvals tests (test/integration/approvals-replicas.test.ts)');

let issuer: TestIssuer;
let redis: RunningRedis;
const replicas: RunningServer[] = [];
const clients: AuthorizationClient[] = [];

beforeAll(async () => {
  if (!haveRedis) return;
  issuer = await createTestIssuer();
  redis = await startRedis();
  const prefix = `replicas-${process.pid}:`;
  for (const name of ['a', 'b']) {
    const dir = await mkdtemp(join(tmpdir(), `rg-replica-${name}-`));
    const raw = rawTestConfig(issuer, join(dir, 'audit.jsonl'));
    raw.policy = outcomesPolicy();
    raw.masking = { profiles: { pii: { detectors: { email: 'redact' } } } };
    raw.approvals = approvalsSection(issuer, { type: 'redis', url: redis.url, key_prefix: prefix, command_timeout_ms: 500, connect_timeout_ms: 1000 });
    const server = await startServer(parseConfig(raw, issuer.dir), createLogger('silent'));
    replicas.push(server);
    clients.push(authorizationClient(server.address));
  }
}, 30_000);

afterAll(async () => {
  for (const c of clients) c.close();
  await Promise.all(replicas.map((s) => s.shutdown()));
  await redis?.stop();
});

const bodyOf = (r: CheckResponse__Output) => JSON.parse(r.denied_response?.body ?? '{}') as Record<string, unknown>;
const decisionOf = (r: CheckResponse__Output) => (r.ok_response?.headers ?? []).find((h) => h.header?.key === 'x-residency-decision')?.header?.value;

async function ask(replica: number, subject: string, requestId: string, authority = 'analytics.us.example.com', region = 'eu-west-1') {
  const token = await issuer.mint({ region, sub: subject });
  return checkOnce(clients[replica]!, envoyCheckRequest({ token, authority, requestId }));
}

describe.skipIf(!haveRedis)('two replicas sharing Redis', () => {
  it('a ticket opened on A is the one B gives; approved on B, requests pass on both', async () => {
    const onA = bodyOf(await ask(0, 'alice', 'rep-1'));
    const onB = bodyOf(await ask(1, 'alice', 'rep-2'));
    expect(onA.code).toBe('APPROVAL_REQUIRED');
    expect(onB.ticket).toBe(onA.ticket);
    const approved = await adminApi(replicas[1]!.admin!.url, 'POST', `/v1/approvals/tickets/${String(onA.ticket)}/approve`, await reviewerToken(issuer, 'rita'), { comment: 'shared' });
    expect(approved.status).toBe(200);
    expect(decisionOf(await ask(0, 'alice', 'rep-3'))).toBe('approved');
    expect(decisionOf(await ask(1, 'alice', 'rep-4'))).toBe('approved');
    // A lists what B decided.
    const listed = await adminApi(replicas[0]!.admin!.url, 'GET', '/v1/approvals/tickets?subject=alice', await reviewerToken(issuer, 'rita'));
    expect(listed.body.tickets).toEqual([expect.objectContaining({ id: onA.ticket, state: 'approved', reviewer: expect.objectContaining({ subject: 'rita' }) })]);
  });

  it('a one-use grant is used exactly once in 100 concurrent requests across both replicas', async () => {
    const held = bodyOf(await ask(0, 'bob', 'once-0')).ticket as string;
    await adminApi(replicas[0]!.admin!.url, 'POST', `/v1/approvals/tickets/${held}/approve`, await reviewerToken(issuer, 'rita'), { comment: 'one shot', uses: 1 });
    const token = await issuer.mint({ region: 'eu-west-1', sub: 'bob' });
    const answers = await Promise.all(Array.from({ length: 100 }, (_, i) =>
      checkOnce(clients[i % 2]!, envoyCheckRequest({ token, authority: 'analytics.us.example.com', requestId: `once-${i + 1}` }))));
    const passed = answers.filter((r) => r.status?.code === 0);
    expect(passed).toHaveLength(1);
    expect(decisionOf(passed[0]!)).toBe('approved');
    // Every other one was held; once used up, they all name the same new pending ticket.
    const tickets = new Set(answers.filter((r) => r.status?.code !== 0).map((r) => bodyOf(r).ticket));
    expect(answers.filter((r) => r.status?.code !== 0).every((r) => bodyOf(r).code === 'APPROVAL_REQUIRED')).toBe(true);
    expect(tickets.size).toBeLessThanOrEqual(2);
  });

  it('Redis down: approval decisions fail closed with 503 APPROVALS_UNAVAILABLE; same-region traffic is unaffected; back up, it works again', async () => {
    await redis.stop();
    try {
      for (const replica of [0, 1]) {
        const held = await ask(replica, 'carol', `down-${replica}`);
        expect(held.status?.code).toBe(14);
        expect(held.denied_response?.status?.code).toBe('ServiceUnavailable');
        expect(bodyOf(held)).toMatchObject({ code: 'APPROVALS_UNAVAILABLE', target: 'analytics-us' });
        // Same region, and a cross-region allow: no approval rule, no store needed.
        expect(decisionOf(await ask(replica, 'carol', `same-${replica}`, 'analytics.us.example.com', 'us-east-1'))).toBe('allow');
        expect(decisionOf(await ask(replica, 'carol', `public-${replica}`, 'docs.us.example.com'))).toBe('allow');
      }
      const api = await adminApi(replicas[0]!.admin!.url, 'GET', '/v1/approvals/tickets', await reviewerToken(issuer, 'rita'));
      expect(api).toMatchObject({ status: 503, body: { code: 'APPROVALS_UNAVAILABLE' } });
    } finally {
      await redis.start();
    }
    await expect.poll(async () => bodyOf(await ask(0, 'carol', 'up-0')).code, { timeout: 10_000, interval: 200 }).toBe('APPROVAL_REQUIRED');
  });
});
