// The webhook: retried with doubling backoff until the receiver accepts, given up after `attempts`,
// never awaited by the caller, bounded in what it queues.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WebhookConfig } from '../../../src/approvals/config.js';
import type { TicketView } from '../../../src/approvals/ticket.js';
import { createWebhook, type WebhookEvent } from '../../../src/approvals/webhook.js';
import { createLogger } from '../../../src/logging/logger.js';

const calls: Array<{ at: number; status: number; event: string | undefined; body: string }> = [];
let failures = 0;
let url: string;
const server = createServer((req, res) => {
  let body = '';
  req.on('data', (c: Buffer) => (body += c.toString()));
  req.on('end', () => {
    const status = failures > 0 ? 503 : 200;
    if (failures > 0) failures -= 1;
    calls.push({ at: Date.now(), status, event: req.headers['x-residency-event'] as string | undefined, body });
    res.writeHead(status).end();
  });
});

beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
});
afterAll(() => new Promise((resolve) => server.close(resolve)));

const cfg = (over: Partial<WebhookConfig> = {}): WebhookConfig => ({ url, headers: { 'x-hook-secret': 's3' }, timeout_ms: 1000, attempts: 4, backoff_ms: 100, max_backoff_ms: 1000, queue_limit: 100, ...over });
const event = (id: string): WebhookEvent => ({ event: 'ticket.requested', id, at: new Date().toISOString(), ticket: { id } as unknown as TicketView });

describe('webhook', () => {
  it('fails twice, then is accepted: three posts, the waits doubling, send() returning at once', async () => {
    calls.length = 0;
    failures = 2;
    const hook = createWebhook(cfg(), createLogger('silent'));
    // send() returns before anything is delivered: nobody waits for the receiver.
    expect(hook.send(event('e1'))).toBeUndefined();
    expect(calls).toHaveLength(0);
    await hook.drain(5000);
    expect(calls.map((c) => c.status)).toEqual([503, 503, 200]);
    const [a, b, c] = calls.map((x) => x.at);
    expect(b! - a!).toBeGreaterThanOrEqual(70);
    expect(c! - b!).toBeGreaterThanOrEqual(150);
    expect(calls.every((x) => x.event === 'ticket.requested' && JSON.parse(x.body).id === 'e1')).toBe(true);
  });

  it('gives up after `attempts`', async () => {
    calls.length = 0;
    failures = 100;
    const hook = createWebhook(cfg({ attempts: 3, backoff_ms: 10 }), createLogger('silent'));
    hook.send(event('e2'));
    await hook.drain(5000);
    expect(calls.filter((c) => (JSON.parse(c.body) as { id: string }).id === 'e2')).toHaveLength(3);
    failures = 0;
  });

  it('an unreachable receiver costs the caller nothing; past queue_limit events are dropped', async () => {
    const hook = createWebhook(cfg({ url: 'http://127.0.0.1:1/', attempts: 2, backoff_ms: 10, queue_limit: 2 }), createLogger('silent'));
    for (let i = 0; i < 5; i++) hook.send(event(`dead-${i}`));
    await hook.drain(5000);
  });
});
