import { writeFile } from 'node:fs/promises';
import { errors, type FlattenedJWSInput } from 'jose';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { ResidencyError } from '../../../src/errors/catalog.js';
import { IssuerKeys } from '../../../src/identity/jwks.js';
import { createJwksSource } from '../../../src/identity/jwks-source.js';
import { issuerConfig, jwksOf, makeKey, TestClock, writeJwksFile, type TestKey } from './fixtures.js';
import { JwksServer } from './jwks-server.js';

const COOLDOWN_S = 30;
const REFRESH_S = 600;
const DUMMY_TOKEN: FlattenedJWSInput = { payload: '', signature: '' };

let server: JwksServer;
let k1: TestKey;
let k2: TestKey;
let clock: TestClock;
let keys: IssuerKeys | undefined;

beforeAll(async () => {
  server = await JwksServer.start();
  [k1, k2] = await Promise.all([makeKey('ES256', 'k1'), makeKey('ES256', 'k2')]);
});
afterAll(() => server.close());

beforeEach(() => {
  clock = new TestClock();
});
afterEach(() => {
  keys?.close();
  keys = undefined;
  vi.useRealTimers();
});

/** A key set on its own fresh path, so fetch counts start at zero. */
function remoteKeys(path: string): IssuerKeys {
  keys = new IssuerKeys('https://idp.example.test', createJwksSource(issuerConfig({ url: server.url(path) }), fetch), {
    refreshMs: REFRESH_S * 1000,
    cooldownMs: COOLDOWN_S * 1000,
    now: clock.now,
  });
  return keys;
}

const lookup = (set: IssuerKeys, kid: string): Promise<unknown> => set.getKey({ alg: 'ES256', kid }, DUMMY_TOKEN);
const failure = (promise: Promise<unknown>): Promise<unknown> => promise.then(() => undefined, (e: unknown) => e);

describe('IssuerKeys', () => {
  it('fetches once at start and then answers from the cache', async () => {
    server.serve('/cache', { body: jwksOf(k1) });
    const set = remoteKeys('/cache');
    await set.start();
    expect(set.loaded).toBe(true);
    for (let i = 0; i < 5; i += 1) await lookup(set, 'k1');
    expect(server.count('/cache')).toBe(1);
  });

  it('refetches for an unknown kid once per cooldown; concurrent misses share the fetch', async () => {
    server.serve('/miss', { body: jwksOf(k1) });
    const set = remoteKeys('/miss');
    await set.start();
    // Within the cooldown of the initial fetch: no request at all.
    expect(await failure(lookup(set, 'nope'))).toBeInstanceOf(errors.JWKSNoMatchingKey);
    expect(server.count('/miss')).toBe(1);

    clock.advanceSeconds(COOLDOWN_S);
    const results = await Promise.all(Array.from({ length: 8 }, () => failure(lookup(set, 'nope'))));
    for (const r of results) expect(r).toBeInstanceOf(errors.JWKSNoMatchingKey);
    expect(server.count('/miss')).toBe(2);

    clock.advanceSeconds(COOLDOWN_S - 1);
    await failure(lookup(set, 'other'));
    expect(server.count('/miss')).toBe(2);
    clock.advanceSeconds(1);
    await failure(lookup(set, 'other'));
    expect(server.count('/miss')).toBe(3);
  });

  it('picks up a rotated key on the refresh an unknown kid causes', async () => {
    server.serve('/rotate', { body: jwksOf(k1) });
    const set = remoteKeys('/rotate');
    await set.start();
    server.serve('/rotate', { body: jwksOf(k2) });
    clock.advanceSeconds(COOLDOWN_S);
    // Lookups that miss while the refresh is under way wait for it rather than fail.
    await expect(Promise.all([lookup(set, 'k2'), lookup(set, 'k2'), lookup(set, 'k2')])).resolves.toHaveLength(3);
    expect(server.count('/rotate')).toBe(2);
    // k1 was retired by the issuer, and we follow.
    expect(await failure(lookup(set, 'k1'))).toBeInstanceOf(errors.JWKSNoMatchingKey);
  });

  it('keeps the last good keys when a refresh fails', async () => {
    server.serve('/flaky', { body: jwksOf(k1) });
    const set = remoteKeys('/flaky');
    await set.start();
    server.serve('/flaky', { status: 503, body: 'down' });
    clock.advanceSeconds(COOLDOWN_S);
    expect(await failure(lookup(set, 'k2'))).toBeInstanceOf(errors.JWKSNoMatchingKey);
    expect(server.count('/flaky')).toBe(2);
    expect(set.lastFailure?.message).toMatch(/HTTP 503/);
    await expect(lookup(set, 'k1')).resolves.toBeDefined();
  });

  it('starts empty when the remote source is down, answers JWKS_UNAVAILABLE, and recovers after the cooldown', async () => {
    server.serve('/late', { status: 500, body: 'down' });
    const set = remoteKeys('/late');
    await set.start();
    expect(set.loaded).toBe(false);
    const err = await failure(lookup(set, 'k1'));
    expect(err).toBeInstanceOf(ResidencyError);
    expect((err as ResidencyError).code).toBe('JWKS_UNAVAILABLE');
    expect(server.count('/late')).toBe(1);

    server.serve('/late', { body: jwksOf(k1) });
    clock.advanceSeconds(COOLDOWN_S);
    await expect(lookup(set, 'k1')).resolves.toBeDefined();
    expect(server.count('/late')).toBe(2);
  });

  it('refuses to start when a key file cannot be loaded, naming the issuer and the file', async () => {
    const set = new IssuerKeys('https://idp.example.test', createJwksSource(issuerConfig({ file: '/nonexistent/keys.json' }), fetch), {
      refreshMs: REFRESH_S * 1000,
      cooldownMs: COOLDOWN_S * 1000,
      now: clock.now,
    });
    await expect(set.start()).rejects.toThrow(/\/nonexistent\/keys\.json.*issuer "https:\/\/idp\.example\.test"/);
  });

  it('refreshes on the timer, re-reading a key file, until closed', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    const file = await writeJwksFile(jwksOf(k1));
    const set = new IssuerKeys('https://idp.example.test', createJwksSource(issuerConfig({ file }), fetch), {
      refreshMs: REFRESH_S * 1000,
      cooldownMs: COOLDOWN_S * 1000,
      now: clock.now,
    });
    keys = set;
    await set.start();
    await writeFile(file, JSON.stringify(jwksOf(k2)));
    // The cooldown has not passed, so only the timer can bring k2 in.
    expect(await failure(lookup(set, 'k2'))).toBeInstanceOf(errors.JWKSNoMatchingKey);
    vi.advanceTimersByTime(REFRESH_S * 1000);
    await vi.waitFor(() => expect(lookup(set, 'k2')).resolves.toBeDefined());

    set.close();
    await writeFile(file, JSON.stringify(jwksOf(k1)));
    vi.advanceTimersByTime(10 * REFRESH_S * 1000);
    await new Promise((resolve) => setTimeout(resolve, 50));
    await expect(lookup(set, 'k2')).resolves.toBeDefined();
  });

  it('refreshes a remote source on the timer', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    server.serve('/timer', { body: jwksOf(k1) });
    const set = remoteKeys('/timer');
    await set.start();
    server.serve('/timer', { body: jwksOf(k1, k2) });
    vi.advanceTimersByTime(REFRESH_S * 1000 - 1);
    expect(server.count('/timer')).toBe(1);
    vi.advanceTimersByTime(1);
    await vi.waitFor(() => expect(lookup(set, 'k2')).resolves.toBeDefined());
    expect(server.count('/timer')).toBe(2);
  });
});
