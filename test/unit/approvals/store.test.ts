// One suite, two stores: the file store under a data directory and Redis (a real redis-server on a
// free loopback port). Both must be atomic on their own: one pending ticket per key however many
// replicas ask at once, compare-and-set updates, a counted grant used exactly as often as granted.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileApprovalStore } from '../../../src/approvals/file-store.js';
import { RedisApprovalStore } from '../../../src/approvals/redis-store.js';
import { approved, denied, draftTicket, effectiveState, revoked, type TicketRequest } from '../../../src/approvals/ticket.js';
import type { ApprovalStore, StoreTimes } from '../../../src/approvals/types.js';
import { startRedis, warnIfNoRedis, type RunningRedis } from '../../support/redis.js';

const TIMES: StoreTimes = { pendingTtlMs: 60_000, retentionMs: 60_000 };
const HOUR = 3_600_000;

let n = 0;
const request = (over: Partial<TicketRequest> = {}): TicketRequest => ({
  requester: { issuer: 'https://issuer.test', subject: `user-${++n}` },
  originRegion: 'eu-west-1', target: 'analytics-us', targetRegion: 'us-east-1', rule: 'eu-to-us',
  method: 'GET', path: '/report', requestId: `r-${n}`, reason: null, ...over,
});
const reviewer = { issuer: 'https://reviewers.test', subject: 'rita' };

interface Harness {
  /** A fresh store (Redis: its own key prefix) and a second handle on the same data, as another replica has. */
  make(): Promise<{ store: ApprovalStore; replica: () => Promise<ApprovalStore> }>;
}

function storeSuite(name: string, harness: () => Harness): void {
  describe(name, () => {
    const opened: ApprovalStore[] = [];
    const make = async () => {
      const h = await harness().make();
      opened.push(h.store);
      return {
        store: h.store,
        replica: async () => {
          const r = await h.replica();
          opened.push(r);
          return r;
        },
      };
    };
    afterAll(async () => {
      await Promise.all(opened.map((s) => s.close()));
    });

    it('opens one pending ticket per requester and target, and gives it back while it is pending', async () => {
      const { store } = await make();
      const now = Date.now();
      const req = request();
      const first = await store.open(draftTicket(req, now, TIMES.pendingTtlMs), now);
      const again = await store.open(draftTicket({ ...req, requestId: 'another' }, now, TIMES.pendingTtlMs), now);
      const other = await store.open(draftTicket({ ...req, target: 'docs-us' }, now, TIMES.pendingTtlMs), now);
      expect(first.created).toBe(true);
      expect(again).toEqual({ ticket: first.ticket, created: false });
      expect(other.created).toBe(true);
      expect(other.ticket.id).not.toBe(first.ticket.id);
      expect((await store.get(first.ticket.id))?.ticket).toEqual(first.ticket);
      expect(await store.get('apr_nonexistent0000')).toBeUndefined();
    });

    it('creates exactly one ticket when 50 requests from two replicas race', async () => {
      const { store, replica } = await make();
      const other = await replica();
      const req = request();
      const now = Date.now();
      const results = await Promise.all(Array.from({ length: 50 }, (_, i) => (i % 2 ? store : other).open(draftTicket(req, now, TIMES.pendingTtlMs), now)));
      expect(results.filter((r) => r.created)).toHaveLength(1);
      expect(new Set(results.map((r) => r.ticket.id)).size).toBe(1);
    });

    it('updates by compare-and-set on the version', async () => {
      const { store } = await make();
      const now = Date.now();
      const { ticket } = await store.open(draftTicket(request(), now, TIMES.pendingTtlMs), now);
      const no = denied(ticket, reviewer, 'no', now);
      expect(await store.update(no, ticket.version, undefined)).toBe(true);
      expect(await store.update(denied(ticket, reviewer, 'late', now), ticket.version, undefined)).toBe(false);
      expect((await store.get(ticket.id))?.ticket).toMatchObject({ state: 'denied', comment: 'no', version: 2 });
      // A denied ticket is no longer pending: the next request opens a new one.
      const next = await store.open(draftTicket({ ...request(), requester: ticket.requester }, now, TIMES.pendingTtlMs), now);
      expect(next.created).toBe(true);
    });

    it('an approval makes a grant that every replica sees; revoking it ends it', async () => {
      const { store, replica } = await make();
      const other = await replica();
      const now = Date.now();
      const { ticket } = await store.open(draftTicket(request(), now, TIMES.pendingTtlMs), now);
      expect(await store.consume(ticket.key, now)).toBeUndefined();
      const yes = approved(ticket, reviewer, 'ok', now, HOUR, null);
      expect(await store.update(yes.ticket, ticket.version, { set: yes.grant })).toBe(true);
      expect(await other.consume(ticket.key, Date.now())).toEqual({ ticket: ticket.id, remaining: null });
      expect(await store.consume(ticket.key, Date.now())).toEqual({ ticket: ticket.id, remaining: null });
      const seen = await other.get(ticket.id);
      expect(seen?.grant).toMatchObject({ ticket: ticket.id, uses_left: -1 });
      expect(effectiveState(seen!, Date.now())).toBe('approved');
      expect((await other.active()).map((s) => s.ticket.id)).toContain(ticket.id);
      const gone = revoked(yes.ticket, reviewer, 'enough', Date.now());
      expect(await other.update(gone, yes.ticket.version, { clear: true })).toBe(true);
      expect(await store.consume(ticket.key, Date.now())).toBeUndefined();
      expect((await store.active()).map((s) => s.ticket.id)).not.toContain(ticket.id);
    });

    it('a grant of 3 uses lets exactly 3 of 100 concurrent requests through, across two replicas', async () => {
      const { store, replica } = await make();
      const other = await replica();
      const now = Date.now();
      const { ticket } = await store.open(draftTicket(request(), now, TIMES.pendingTtlMs), now);
      const yes = approved(ticket, reviewer, 'three', now, HOUR, 3);
      await store.update(yes.ticket, ticket.version, { set: yes.grant });
      const uses = await Promise.all(Array.from({ length: 100 }, (_, i) => (i % 2 ? store : other).consume(ticket.key, Date.now())));
      const passed = uses.filter((u) => u !== undefined);
      expect(passed).toHaveLength(3);
      expect(passed.map((u) => u.remaining).sort()).toEqual([0, 1, 2]);
      const after = await store.get(ticket.id);
      expect(after?.grant?.uses_left ?? 0).toBe(0);
      expect(effectiveState(after!, Date.now())).toBe('expired');
    });

    it('a grant ends with its lifetime', async () => {
      const { store } = await make();
      const now = Date.now();
      const { ticket } = await store.open(draftTicket(request(), now, TIMES.pendingTtlMs), now);
      const yes = approved(ticket, reviewer, 'briefly', now, 1000, null);
      await store.update(yes.ticket, ticket.version, { set: yes.grant });
      expect(await store.consume(ticket.key, Date.now())).toBeDefined();
      await sleep(Math.max(0, yes.grant.expires_at_ms - Date.now()) + 100);
      expect(await store.consume(ticket.key, Date.now())).toBeUndefined();
      expect(effectiveState((await store.get(ticket.id))!, Date.now())).toBe('expired');
    });

    it('clearing a grant leaves a newer ticket’s grant for the same key alone', async () => {
      const { store } = await make();
      const now = Date.now();
      const req = request();
      const { ticket: a } = await store.open(draftTicket(req, now, TIMES.pendingTtlMs), now);
      const aYes = approved(a, reviewer, 'a', now, HOUR, null);
      await store.update(aYes.ticket, a.version, { set: aYes.grant });
      // A second approval for the same requester and target (a reviewer approved a later ticket).
      const { ticket: b } = await store.open(draftTicket(req, now, TIMES.pendingTtlMs), now);
      const bYes = approved(b, reviewer, 'b', now, HOUR, null);
      await store.update(bYes.ticket, b.version, { set: bYes.grant });
      await store.update(revoked(aYes.ticket, reviewer, 'a off', now), aYes.ticket.version, { clear: true });
      expect(await store.consume(a.key, Date.now())).toEqual({ ticket: b.id, remaining: null });
    });

    it('a pending ticket past its deadline is expired, and the next request opens a new one', async () => {
      const { store } = await make();
      const now = Date.now();
      const req = request();
      const { ticket } = await store.open(draftTicket(req, now, 200), now);
      await sleep(300);
      const later = Date.now();
      expect(effectiveState((await store.get(ticket.id))!, later)).toBe('expired');
      const next = await store.open(draftTicket(req, later, TIMES.pendingTtlMs), later);
      expect(next.created).toBe(true);
    });

    it('lists newest first, and keeps everything for a new handle (a restart or another replica)', async () => {
      const { store, replica } = await make();
      const t0 = Date.now();
      const a = await store.open(draftTicket(request(), t0, TIMES.pendingTtlMs), t0);
      const b = await store.open(draftTicket(request(), t0 + 5, TIMES.pendingTtlMs), t0 + 5);
      const ids = (await store.list()).map((s) => s.ticket.id);
      expect(ids.indexOf(b.ticket.id)).toBeLessThan(ids.indexOf(a.ticket.id));
      const fresh = await replica();
      expect((await fresh.list()).map((s) => s.ticket.id)).toEqual(ids);
      await fresh.ping();
    });
  });
}

let dataRoot: string;
beforeAll(async () => {
  dataRoot = await mkdtemp(join(tmpdir(), 'rg-approvals-store-'));
});

let dirs = 0;
storeSuite('file store', () => ({
  async make() {
    const dir = join(dataRoot, `d${++dirs}`);
    const store = await FileApprovalStore.create(dir, TIMES);
    return { store, replica: () => FileApprovalStore.create(dir, TIMES) };
  },
}));

const haveRedis = warnIfNoRedis('the Redis approvals store suite (test/unit/approvals/store.test.ts)');
let redis: RunningRedis | undefined;
let prefixes = 0;
describe.skipIf(!haveRedis)('with redis-server', () => {
  beforeAll(async () => {
    redis = await startRedis();
  }, 20_000);
  afterAll(async () => {
    await redis?.stop();
  });
  const open = (prefix: string) => {
    const s = RedisApprovalStore.create({ url: redis!.url, keyPrefix: prefix, connectTimeoutMs: 2000, commandTimeoutMs: 2000 }, TIMES);
    return s.ready(5000).then(() => s);
  };
  storeSuite('Redis store', () => ({
    async make() {
      const prefix = `t${process.pid}-${++prefixes}:`;
      return { store: await open(prefix), replica: () => open(prefix) };
    },
  }));

  it('fails at once, not later, while Redis is down; works again when it is back', async () => {
    const store = await open(`down-${process.pid}:`);
    try {
      await redis!.stop();
      const started = Date.now();
      await expect(store.consume('k', Date.now())).rejects.toThrow();
      expect(Date.now() - started).toBeLessThan(1500);
      await redis!.start();
      await store.ready(5000);
      expect(await store.consume('k', Date.now())).toBeUndefined();
    } finally {
      await store.close();
    }
  });
});
