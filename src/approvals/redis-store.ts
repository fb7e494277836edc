// The shared store: Redis, for several replicas. Each change is one Lua script, so it is atomic
// across replicas: `open` finds or creates the key's pending ticket, `update` is a compare-and-set
// on the ticket's version (and sets or clears the key's grant with it), `consume` takes one use of
// a grant. Grants expire with Redis TTLs set to their lifetime (PEXPIREAT); pending markers with
// the pending ttl; ticket records after their retention. Commands never queue while Redis is away:
// they fail at once, and approval decisions fail closed.
import { Redis } from 'ioredis';
import { keepUntilMs } from './ticket.js';
import type { ApprovalStore, GrantChange, GrantRecord, GrantUse, StoredTicket, StoreTimes, Ticket } from './types.js';

export interface RedisStoreOptions {
  readonly url: string;
  readonly keyPrefix: string;
  readonly connectTimeoutMs: number;
  readonly commandTimeoutMs: number;
}

// KEYS: pending marker, new ticket, active set, index. ARGV: id, json, pending ttl ms, keep ms, created ms, ticket key prefix.
const OPEN = `
local id = redis.call('GET', KEYS[1])
if id then
  local t = redis.call('GET', ARGV[6] .. id)
  if t then return {0, t} end
end
redis.call('SET', KEYS[2], ARGV[2], 'PX', ARGV[4])
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[3])
redis.call('SADD', KEYS[3], ARGV[1])
redis.call('ZADD', KEYS[4], ARGV[5], ARGV[1])
return {1, ARGV[2]}`;

// KEYS: ticket, pending marker, grant, active set. ARGV: expected version, json, keep ms, id, grant mode, uses left, grant expiry ms, next state.
const UPDATE = `
local cur = redis.call('GET', KEYS[1])
if not cur then return 0 end
if tonumber(cjson.decode(cur)['version']) ~= tonumber(ARGV[1]) then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
if ARGV[8] ~= 'pending' and redis.call('GET', KEYS[2]) == ARGV[4] then redis.call('DEL', KEYS[2]) end
if ARGV[8] ~= 'pending' and ARGV[8] ~= 'approved' then redis.call('SREM', KEYS[4], ARGV[4]) end
if ARGV[5] == 'set' then
  redis.call('DEL', KEYS[3])
  redis.call('HSET', KEYS[3], 'ticket', ARGV[4], 'uses_left', ARGV[6], 'expires_at_ms', ARGV[7])
  redis.call('PEXPIREAT', KEYS[3], ARGV[7])
elseif ARGV[5] == 'clear' and redis.call('HGET', KEYS[3], 'ticket') == ARGV[4] then
  redis.call('DEL', KEYS[3])
end
return 1`;

// KEYS: grant. ARGV: now ms. Returns nil, or {ticket, uses left after this use (-1: unlimited)}.
const CONSUME = `
local g = redis.call('HMGET', KEYS[1], 'ticket', 'uses_left', 'expires_at_ms')
if not g[1] then return nil end
if tonumber(g[3]) <= tonumber(ARGV[1]) then return nil end
local left = tonumber(g[2])
if left < 0 then return {g[1], -1} end
if left == 0 then return nil end
return {g[1], redis.call('HINCRBY', KEYS[1], 'uses_left', -1)}`;

type Scripted = Redis & {
  rgOpen(k1: string, k2: string, k3: string, k4: string, ...args: (string | number)[]): Promise<[number, string]>;
  rgUpdate(k1: string, k2: string, k3: string, k4: string, ...args: (string | number)[]): Promise<number>;
  rgConsume(k1: string, now: number): Promise<[string, number] | null>;
};

export class RedisApprovalStore implements ApprovalStore {
  readonly kind = 'redis' as const;

  private constructor(
    private readonly redis: Scripted,
    private readonly prefix: string,
    private readonly times: StoreTimes,
  ) {}

  /** Connects; does not wait for Redis to be there (a replica starts and serves same-region traffic without it). */
  static create(options: RedisStoreOptions, times: StoreTimes, onError?: (err: Error) => void): RedisApprovalStore {
    const redis = new Redis(options.url, {
      connectTimeout: options.connectTimeoutMs,
      commandTimeout: options.commandTimeoutMs,
      // Fail closed at once while disconnected instead of queueing decisions behind a reconnect.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      retryStrategy: (times) => Math.min(50 * 2 ** Math.min(times, 6), 2000),
      lazyConnect: false,
    }) as Scripted;
    redis.on('error', (err: Error) => onError?.(err));
    redis.defineCommand('rgOpen', { numberOfKeys: 4, lua: OPEN });
    redis.defineCommand('rgUpdate', { numberOfKeys: 4, lua: UPDATE });
    redis.defineCommand('rgConsume', { numberOfKeys: 1, lua: CONSUME });
    return new RedisApprovalStore(redis, options.keyPrefix, times);
  }

  /** Resolves once connected (or rejects after `ms`). */
  async ready(ms: number): Promise<void> {
    if (this.redis.status === 'ready') return;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.redis.off('ready', onReady);
        reject(new Error(`Redis not ready after ${ms} ms`));
      }, ms);
      const onReady = (): void => {
        clearTimeout(timer);
        resolve();
      };
      this.redis.once('ready', onReady);
    });
  }

  private k = {
    ticket: (id: string) => `${this.prefix}ticket:${id}`,
    pending: (key: string) => `${this.prefix}pending:${key}`,
    grant: (key: string) => `${this.prefix}grant:${key}`,
    active: () => `${this.prefix}active`,
    index: () => `${this.prefix}index`,
  };

  async open(draft: Ticket, nowMs: number): Promise<{ ticket: Ticket; created: boolean }> {
    const keep = keepUntilMs(draft, this.times.retentionMs, nowMs) - nowMs;
    const [created, json] = await this.redis.rgOpen(
      this.k.pending(draft.key), this.k.ticket(draft.id), this.k.active(), this.k.index(),
      draft.id, JSON.stringify(draft), Math.max(1, Date.parse(draft.pending_until) - nowMs), Math.max(1, keep), Date.parse(draft.created_at), this.k.ticket(''),
    );
    return { ticket: JSON.parse(json) as Ticket, created: created === 1 };
  }

  async get(id: string): Promise<StoredTicket | undefined> {
    const json = await this.redis.get(this.k.ticket(id));
    if (json === null) return undefined;
    const ticket = JSON.parse(json) as Ticket;
    return { ticket, grant: await this.grantOf(ticket) };
  }

  async list(): Promise<StoredTicket[]> {
    const ids = await this.redis.zrevrange(this.k.index(), 0, -1);
    return this.load(ids, this.k.index());
  }

  async active(): Promise<StoredTicket[]> {
    const ids = await this.redis.smembers(this.k.active());
    return this.load(ids, this.k.active());
  }

  async update(next: Ticket, expectedVersion: number, grant: GrantChange): Promise<boolean> {
    const nowMs = Date.now();
    const keep = Math.max(1, keepUntilMs(next, this.times.retentionMs, nowMs) - nowMs);
    const set = grant !== undefined && 'set' in grant ? grant.set : undefined;
    const mode = set !== undefined ? 'set' : grant === undefined ? 'keep' : 'clear';
    const ok = await this.redis.rgUpdate(
      this.k.ticket(next.id), this.k.pending(next.key), this.k.grant(next.key), this.k.active(),
      expectedVersion, JSON.stringify(next), keep, next.id, mode, set?.uses_left ?? -1, set?.expires_at_ms ?? 0, next.state,
    );
    return ok === 1;
  }

  async consume(key: string, nowMs: number): Promise<GrantUse | undefined> {
    const r = await this.redis.rgConsume(this.k.grant(key), nowMs);
    if (r === null) return undefined;
    return { ticket: r[0], remaining: r[1] < 0 ? null : Number(r[1]) };
  }

  async ping(): Promise<void> {
    await this.redis.ping();
  }

  async close(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }

  private async grantOf(ticket: Ticket): Promise<GrantRecord | undefined> {
    if (ticket.grant === null) return undefined;
    const [t, left, exp] = await this.redis.hmget(this.k.grant(ticket.key), 'ticket', 'uses_left', 'expires_at_ms');
    if (t !== ticket.id || left === null || exp === null) return undefined;
    return { ticket: t, uses_left: Number(left), expires_at_ms: Number(exp) };
  }

  /** Tickets by id; ids whose record expired are dropped from the set or index they came from. */
  private async load(ids: string[], from: string): Promise<StoredTicket[]> {
    if (ids.length === 0) return [];
    const jsons = await this.redis.mget(...ids.map((id) => this.k.ticket(id)));
    const gone = ids.filter((_, i) => jsons[i] === null);
    if (gone.length > 0) {
      if (from === this.k.index()) await this.redis.zrem(from, ...gone);
      else await this.redis.srem(from, ...gone);
    }
    const out: StoredTicket[] = [];
    for (const json of jsons) {
      if (json === null) continue;
      const ticket = JSON.parse(json) as Ticket;
      out.push({ ticket, grant: await this.grantOf(ticket) });
    }
    return out;
  }
}
