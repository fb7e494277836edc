// The approval workflow through a real server on port 0 (file store): a held request opens a ticket,
// a reviewer decides it over the admin API or the gRPC twin, and the same request passes (decision
// `approved`, ticket in the headers, metadata and audit trail) until the grant ends. Four eyes,
// comments, bounds, revocation, counted uses, the sweeper, the webhook, restarts.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { credentials, loadPackageDefinition, Metadata, type ServiceClientConstructor } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { envoyPackageDefinition } from '../../src/envoy/protos.js';
import { parseConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/schema.js';
import { fromStruct } from '../../src/envoy/struct.js';
import type { CheckResponse__Output } from '../../src/envoy/generated/envoy/service/auth/v3/CheckResponse.js';
import type { AuthorizationClient } from '../../src/envoy/generated/envoy/service/auth/v3/Authorization.js';
import { createLogger } from '../../src/logging/logger.js';
import { startServer, type RunningServer } from '../../src/server.js';
import { auditRecordSchema } from '../../src/audit/record-schema.js';
import { adminApi, approvalsSection, reviewerToken } from '../support/approvals.js';
import { rawTestConfig } from '../support/config.js';
import { authorizationClient, checkOnce, envoyCheckRequest, reflectionClient } from '../support/grpc-clients.js';
import { createTestIssuer, type TestIssuer } from '../support/issuer.js';
import { outcomesPolicy } from '../support/policies.js';

let issuer: TestIssuer;
let config: Config;
let server: RunningServer;
let client: AuthorizationClient;
let auditFile: string;
let hook: Server;
let hookUrl: string;
const hookCalls: Array<{ at: number; body: Record<string, unknown>; answered: number; answeredAt: number }> = [];
let failNext = 0;
let failDelayMs = 0;

async function boot(): Promise<void> {
  server = await startServer(config, createLogger('silent'));
  client = authorizationClient(server.address);
}

beforeAll(async () => {
  issuer = await createTestIssuer();
  hook = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const status = failNext > 0 ? 500 : 204;
      if (failNext > 0) failNext -= 1;
      const call = { at: Date.now(), body: JSON.parse(Buffer.concat(chunks).toString()) as Record<string, unknown>, answered: status, answeredAt: 0 };
      hookCalls.push(call);
      // A slow receiver: each failure takes a while to come back.
      setTimeout(() => {
        call.answeredAt = Date.now();
        res.writeHead(status).end();
      }, status === 500 ? failDelayMs : 0);
    });
  });
  await new Promise<void>((resolve) => hook.listen(0, '127.0.0.1', resolve));
  hookUrl = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/hook`;
  const dir = await mkdtemp(join(tmpdir(), 'rg-approvals-'));
  auditFile = join(dir, 'audit.jsonl');
  const raw = rawTestConfig(issuer, auditFile);
  raw.policy = outcomesPolicy();
  raw.masking = { profiles: { pii: { detectors: { email: 'redact' } } } };
  raw.approvals = approvalsSection(issuer, { type: 'file', dir: join(dir, 'data') }, {
    webhook: { url: hookUrl, backoff_ms: 300, attempts: 5 },
    grant: { min_lifetime_seconds: 0.5, default_lifetime_seconds: 3600, max_lifetime_seconds: 7200, max_uses: 50 },
  });
  config = parseConfig(raw, issuer.dir);
  await boot();
});

afterAll(async () => {
  client?.close();
  await server?.shutdown();
  await new Promise((resolve) => hook?.close(resolve));
});

const headersOf = (r: CheckResponse__Output) => Object.fromEntries((r.ok_response?.headers ?? []).map((h) => [h.header?.key, h.header?.value]));
const metaOf = (r: CheckResponse__Output) => fromStruct(r.dynamic_metadata).residency as Record<string, unknown>;
const bodyOf = (r: CheckResponse__Output) => JSON.parse(r.denied_response?.body ?? '{}') as Record<string, unknown>;

async function ask(subject: string, requestId: string, headers: Record<string, string> = {}, authority = 'analytics.us.example.com', region = 'eu-west-1') {
  const token = await issuer.mint({ region, sub: subject });
  return checkOnce(client, envoyCheckRequest({ token, authority, requestId, path: '/report', headers }));
}

async function records(): Promise<Array<Record<string, unknown>>> {
  return (await readFile(auditFile, 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
}

const api = (method: 'GET' | 'POST', path: string, token?: string, body?: unknown) => adminApi(server.admin!.url, method, path, token, body);

describe('a request an approval rule holds', () => {
  let ticket: string;

  it('is denied 403 with a ticket, its state and where to ask; the client’s reason is kept', async () => {
    const r = await ask('alice', 'hold-1', { 'x-residency-justification': 'quarterly report for the board' });
    expect(r.status?.code).toBe(7);
    expect(r.denied_response?.status?.code).toBe('Forbidden');
    const body = bodyOf(r);
    expect(body).toMatchObject({ code: 'APPROVAL_REQUIRED', ticket_state: 'pending', target: 'analytics-us' });
    ticket = String(body.ticket);
    expect(ticket).toMatch(/^apr_[\w-]{16}$/);
    expect(body.approval_url).toBe(`${server.admin!.url}/v1/approvals/tickets/${ticket}`);
    expect(metaOf(r)).toMatchObject({ decision: 'approval', ticket });
    const shown = await api('GET', `/v1/approvals/tickets/${ticket}`, await reviewerToken(issuer, 'rita'));
    expect(shown.body.ticket).toMatchObject({ state: 'pending', reason: 'quarterly report for the board', requester: { subject: 'alice' }, method: 'GET', path: '/report', request_id: 'hold-1' });
  });

  it('asked again while pending, gets the same ticket, and only one requested record is written', async () => {
    const r = await ask('alice', 'hold-2');
    expect(bodyOf(r).ticket).toBe(ticket);
    const all = await records();
    expect(all.filter((x) => x.kind === 'approval' && x.ticket === ticket)).toEqual([
      expect.objectContaining({ event: 'requested', actor: 'alice', subject: 'alice', request_id: 'hold-1', target: 'analytics-us', comment: 'quarterly report for the board' }),
    ]);
    expect(all.find((x) => x.request_id === 'hold-2' && x.kind === 'decision')).toMatchObject({ decision: 'approval', code: 'APPROVAL_REQUIRED', ticket });
    for (const line of all) expect(auditRecordSchema.safeParse(line).error?.issues ?? []).toEqual([]);
  });

  it('reviewers only: no token 401, a token without the role 403', async () => {
    expect((await api('GET', '/v1/approvals/tickets')).status).toBe(401);
    expect((await api('GET', '/v1/approvals/tickets', 'not-a-token')).body).toMatchObject({ code: 'REVIEWER_UNAUTHENTICATED' });
    const noRole = await api('GET', '/v1/approvals/tickets', await reviewerToken(issuer, 'rita', ['engineers']));
    expect(noRole).toMatchObject({ status: 403, body: { code: 'REVIEWER_ROLE_MISSING' } });
    // A requester's own token (another issuer, no role) is no reviewer token either.
    expect((await api('GET', '/v1/approvals/tickets', await issuer.mint({ region: 'eu-west-1', sub: 'alice' }))).status).toBe(401);
  });

  it('four eyes, a comment, a lifetime within bounds: each refused otherwise', async () => {
    const self = await api('POST', `/v1/approvals/tickets/${ticket}/approve`, await reviewerToken(issuer, 'alice'), { comment: 'mine' });
    expect(self).toMatchObject({ status: 403, body: { code: 'SELF_APPROVAL_FORBIDDEN' } });
    const rita = await reviewerToken(issuer, 'rita');
    expect((await api('POST', `/v1/approvals/tickets/${ticket}/approve`, rita, {})).body).toMatchObject({ code: 'COMMENT_REQUIRED' });
    expect((await api('POST', `/v1/approvals/tickets/${ticket}/approve`, rita, { comment: 'ok', lifetime_seconds: 10 * 86400 })).status).toBe(400);
    expect((await api('POST', `/v1/approvals/tickets/${ticket}/approve`, rita, { comment: 'ok', uses: 51 })).status).toBe(400);
    expect((await api('GET', '/v1/approvals/tickets/apr_doesnotexist0000', rita)).status).toBe(404);
    expect((await api('GET', '/v1/approvals/tickets?state=pending', rita)).body.tickets).toEqual(expect.arrayContaining([expect.objectContaining({ id: ticket })]));
  });

  it('approved by another reviewer, the same request passes as approved, with the ticket in headers, metadata and audit', async () => {
    const approve = await api('POST', `/v1/approvals/tickets/${ticket}/approve`, await reviewerToken(issuer, 'rita'), { comment: 'board asked for it', lifetime_seconds: 600 });
    expect(approve.status).toBe(200);
    expect(approve.body.ticket).toMatchObject({ state: 'approved', reviewer: { subject: 'rita', issuer: expect.stringContaining('reviewers') }, comment: 'board asked for it', grant: { uses: 50, remaining_uses: 50 } });
    // approvals.grant.max_uses is 50 here: a reviewer who names no number grants that many.
    const again = await api('POST', `/v1/approvals/tickets/${ticket}/deny`, await reviewerToken(issuer, 'bob'), { comment: 'too late' });
    expect(again).toMatchObject({ status: 409, body: { code: 'TICKET_NOT_PENDING' } });

    const r = await ask('alice', 'pass-1');
    expect(r.status?.code).toBe(0);
    expect(headersOf(r)).toMatchObject({ 'x-residency-decision': 'approved', 'x-residency-ticket': ticket, 'x-residency-rule': 'eu-to-us-analytics' });
    expect(metaOf(r)).toMatchObject({ decision: 'approved', ticket, code: null });
    expect((await records()).find((x) => x.request_id === 'pass-1')).toMatchObject({ kind: 'decision', decision: 'approved', ticket, code: null });
    expect((await records()).find((x) => x.kind === 'approval' && x.event === 'approved')).toMatchObject({ ticket, actor: 'rita', comment: 'board asked for it', grant_uses: 50 });
    // Another requester, the same target: no grant of its own.
    expect(bodyOf(await ask('mallory', 'other-1')).code).toBe('APPROVAL_REQUIRED');
    // Requests no approval rule holds are untouched.
    expect(headersOf(await ask('alice', 'us-1', {}, 'analytics.us.example.com', 'us-east-1'))['x-residency-decision']).toBe('allow');
  });

  it('revoked, the grant ends: the next request is held again under a new ticket', async () => {
    const revoke = await api('POST', `/v1/approvals/tickets/${ticket}/revoke`, await reviewerToken(issuer, 'bob'), { comment: 'done' });
    expect(revoke.body.ticket).toMatchObject({ state: 'revoked', revoked_by: { subject: 'bob' } });
    const r = await ask('alice', 'after-revoke');
    expect(bodyOf(r)).toMatchObject({ code: 'APPROVAL_REQUIRED', ticket_state: 'pending' });
    expect(bodyOf(r).ticket).not.toBe(ticket);
    expect((await api('POST', `/v1/approvals/tickets/${ticket}/revoke`, await reviewerToken(issuer, 'bob'), { comment: 'twice' })).body).toMatchObject({ code: 'GRANT_NOT_ACTIVE' });
  });

  it('a one-use grant lets one request through; a short grant runs out and the sweeper records it', async () => {
    const held = bodyOf(await ask('carol', 'once-0')).ticket as string;
    await api('POST', `/v1/approvals/tickets/${held}/approve`, await reviewerToken(issuer, 'rita'), { comment: 'one export', uses: 1 });
    expect((await ask('carol', 'once-1')).status?.code).toBe(0);
    expect(bodyOf(await ask('carol', 'once-2')).code).toBe('APPROVAL_REQUIRED');

    const brief = bodyOf(await ask('dave', 'brief-0')).ticket as string;
    await api('POST', `/v1/approvals/tickets/${brief}/approve`, await reviewerToken(issuer, 'rita'), { comment: 'a moment', lifetime_seconds: 1 });
    expect((await ask('dave', 'brief-1')).status?.code).toBe(0);
    await sleep(1500);
    expect(bodyOf(await ask('dave', 'brief-2')).code).toBe('APPROVAL_REQUIRED');
    await expect.poll(async () => (await records()).filter((x) => x.kind === 'approval' && x.ticket === brief).map((x) => x.event), { timeout: 5000 })
      .toEqual(['requested', 'approved', 'expired']);
    expect((await api('GET', `/v1/approvals/tickets/${brief}`, await reviewerToken(issuer, 'rita'))).body.ticket).toMatchObject({ state: 'expired' });
  });

  it('a denied ticket stays denied; the requester’s next request opens a new one', async () => {
    const held = bodyOf(await ask('erin', 'deny-0')).ticket as string;
    const denied = await api('POST', `/v1/approvals/tickets/${held}/deny`, await reviewerToken(issuer, 'rita'), { comment: 'not for this' });
    expect(denied.body.ticket).toMatchObject({ state: 'denied', comment: 'not for this' });
    const next = bodyOf(await ask('erin', 'deny-1'));
    expect(next.code).toBe('APPROVAL_REQUIRED');
    expect(next.ticket).not.toBe(held);
  });
});

describe('the gRPC twin', () => {
  type Unary = (req: object, md: Metadata, cb: (err: { code: number; details: string } | null, res: Record<string, unknown>) => void) => void;
  const call = (method: string, req: object, token?: string): Promise<Record<string, unknown>> => {
    const pkg = loadPackageDefinition(envoyPackageDefinition()) as unknown as { residency_gate: { approvals: { v1: { Approvals: ServiceClientConstructor } } } };
    const c = new pkg.residency_gate.approvals.v1.Approvals(server.address, credentials.createInsecure()) as unknown as Record<string, Unary> & { close(): void };
    const md = new Metadata();
    if (token) md.set('authorization', `Bearer ${token}`);
    return new Promise((resolve, reject) => c[method]!.call(c, req, md, (err, res) => {
      c.close();
      if (err) reject(err);
      else resolve(res);
    }));
  };

  it('lists, shows and approves with a reviewer token; refuses without one', async () => {
    await expect(call('ListTickets', {})).rejects.toMatchObject({ code: 16 });
    const held = bodyOf(await ask('frank', 'grpc-0')).ticket as string;
    const rita = await reviewerToken(issuer, 'rita');
    const list = await call('ListTickets', { state: 'pending', subject: 'frank' }, rita);
    expect(list.tickets).toEqual([expect.objectContaining({ id: held, state: 'pending', target: 'analytics-us' })]);
    await expect(call('ApproveTicket', { id: held, comment: 'x' }, await reviewerToken(issuer, 'frank'))).rejects.toMatchObject({ code: 7, details: expect.stringContaining('SELF_APPROVAL_FORBIDDEN') });
    await expect(call('ApproveTicket', { id: held }, rita)).rejects.toMatchObject({ code: 3 });
    const done = await call('ApproveTicket', { id: held, comment: 'via grpc', lifetime_seconds: 60, uses: 2 }, rita);
    expect(done).toMatchObject({ state: 'approved', grant: { unlimited: false, uses: 2, remaining_uses: 2 }, reviewer: { subject: 'rita' } });
    expect((await ask('frank', 'grpc-1')).status?.code).toBe(0);
    expect(await call('GetTicket', { id: held }, rita)).toMatchObject({ grant: { remaining_uses: 1 } });
    await expect(call('GetTicket', { id: 'apr_nope000000000000' }, rita)).rejects.toMatchObject({ code: 5 });
  });

  it('is listed by reflection', async () => {
    const r = reflectionClient(server.address) as unknown as { ServerReflectionInfo(): NodeJS.ReadWriteStream & { write(m: object): void; end(): void; close?: () => void } } & { close(): void };
    const stream = r.ServerReflectionInfo();
    const names = await new Promise<string[]>((resolve, reject) => {
      stream.on('data', (m: { list_services_response?: { service: Array<{ name: string }> } }) => resolve(m.list_services_response?.service.map((s) => s.name) ?? []));
      stream.on('error', reject);
      stream.write({ list_services: '' });
    });
    stream.end();
    r.close();
    expect(names).toContain('residency_gate.approvals.v1.Approvals');
  });
});

describe('the webhook', () => {
  it('gets every new ticket and decision, retried with backoff; a failing receiver never slows a decision', async () => {
    hookCalls.length = 0;
    failNext = 2;
    failDelayMs = 1500;
    const r = await ask('gina', 'hook-0');
    const decidedAt = Date.now();
    const held = bodyOf(r).ticket as string;
    await expect.poll(() => hookCalls.filter((c) => c.answered === 204).length, { timeout: 15_000 }).toBe(1);
    // The 403 was back before the receiver had even answered the first delivery.
    expect(decidedAt).toBeLessThan(hookCalls[0]!.answeredAt);
    expect(hookCalls.map((c) => c.answered)).toEqual([500, 500, 204]);
    // Retries wait after each failure: ~300 ms, then ~600 ms (backoff doubles, ±20 %).
    expect(hookCalls[1]!.at - hookCalls[0]!.answeredAt).toBeGreaterThanOrEqual(230);
    expect(hookCalls[2]!.at - hookCalls[1]!.answeredAt).toBeGreaterThanOrEqual(470);
    expect(hookCalls[2]!.body).toMatchObject({ event: 'ticket.requested', ticket: { id: held, state: 'pending', requester: { subject: 'gina' } } });
    expect(new Set(hookCalls.map((c) => c.body.id)).size).toBe(1);
    await api('POST', `/v1/approvals/tickets/${held}/approve`, await reviewerToken(issuer, 'rita'), { comment: 'hooked' });
    await expect.poll(() => hookCalls.at(-1)?.body.event, { timeout: 3000 }).toBe('ticket.approved');
    expect(hookCalls.at(-1)?.body).toMatchObject({ ticket: { id: held, state: 'approved', comment: 'hooked' } });
  });
});

describe('a restart', () => {
  it('keeps tickets and grants (file store)', async () => {
    const held = bodyOf(await ask('hank', 'restart-0')).ticket as string;
    await api('POST', `/v1/approvals/tickets/${held}/approve`, await reviewerToken(issuer, 'rita'), { comment: 'across restarts' });
    const pending = bodyOf(await ask('ivy', 'restart-1')).ticket as string;
    client.close();
    await server.shutdown();
    await boot();
    expect(headersOf(await ask('hank', 'restart-2'))).toMatchObject({ 'x-residency-decision': 'approved', 'x-residency-ticket': held });
    expect(bodyOf(await ask('ivy', 'restart-3')).ticket).toBe(pending);
  });
});
