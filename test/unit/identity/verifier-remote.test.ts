// Verification against keys served over HTTP: caching, refresh on an unknown kid and its cooldown,
// discovery, and proof that token headers cannot point us at other keys.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { IssuerConfig } from '../../../src/config/schema.js';
import type { TokenVerifier } from '../../../src/identity/types.js';
import { createTokenVerifier } from '../../../src/identity/verifier.js';
import { identityConfig, issuerConfig, jwksOf, makeKey, mint, REGIONS, rejectionCode, TestClock, type TestKey } from './fixtures.js';
import { JwksServer } from './jwks-server.js';

const COOLDOWN_S = 30;

let server: JwksServer;
let legit: TestKey;
let next: TestKey;
let attacker: TestKey;
let clock: TestClock;
let verifier: TokenVerifier | undefined;

beforeAll(async () => {
  server = await JwksServer.start();
  [legit, next, attacker] = await Promise.all([makeKey('ES256', 'legit'), makeKey('ES256', 'next'), makeKey('ES256', 'evil')]);
  server.serve('/evil/jwks', { body: jwksOf(attacker) });
});
afterAll(() => server.close());
beforeEach(() => {
  clock = new TestClock();
});
afterEach(() => verifier?.close());

async function start(jwks: IssuerConfig['jwks'], overrides: Partial<IssuerConfig> = {}): Promise<TokenVerifier> {
  const config = identityConfig([issuerConfig(jwks, { jwks_cooldown_seconds: COOLDOWN_S, ...overrides })]);
  verifier = await createTokenVerifier(config, REGIONS, { now: clock.now });
  return verifier;
}

describe('createTokenVerifier with a JWKS URL', () => {
  it('fetches the keys once at start and not per token', async () => {
    server.serve('/cached', { body: jwksOf(legit) });
    const v = await start({ url: server.url('/cached') });
    expect(server.count('/cached')).toBe(1);
    for (let i = 0; i < 5; i += 1) await v.verify(await mint(legit));
    expect(server.count('/cached')).toBe(1);
  });

  it('refreshes exactly once for a burst of unknown kids within the cooldown', async () => {
    server.serve('/burst', { body: jwksOf(legit) });
    const v = await start({ url: server.url('/burst') });
    const stranger = await mint(await makeKey('ES256', 'stranger'));
    expect(await rejectionCode(v.verify(stranger))).toBe('TOKEN_KEY_UNKNOWN');
    expect(server.count('/burst')).toBe(1);

    clock.advanceSeconds(COOLDOWN_S);
    const codes = await Promise.all(Array.from({ length: 10 }, () => rejectionCode(v.verify(stranger))));
    expect(new Set(codes)).toEqual(new Set(['TOKEN_KEY_UNKNOWN']));
    expect(server.count('/burst')).toBe(2);
    for (let i = 0; i < 5; i += 1) expect(await rejectionCode(v.verify(stranger))).toBe('TOKEN_KEY_UNKNOWN');
    expect(server.count('/burst')).toBe(2);
  });

  it('accepts a rotated key once a refresh has picked it up', async () => {
    server.serve('/rotation', { body: jwksOf(legit) });
    const v = await start({ url: server.url('/rotation') });
    server.serve('/rotation', { body: jwksOf(legit, next) });
    const rotated = await mint(next);
    // Too soon after the last fetch: the new key is not known yet.
    expect(await rejectionCode(v.verify(rotated))).toBe('TOKEN_KEY_UNKNOWN');
    clock.advanceSeconds(COOLDOWN_S);
    // Callers that miss while the refresh is under way wait for it and then succeed too.
    const identities = await Promise.all(Array.from({ length: 6 }, () => v.verify(rotated)));
    for (const identity of identities) expect(identity).toMatchObject({ subject: 'user-1' });
    await expect(v.verify(await mint(legit))).resolves.toMatchObject({ subject: 'user-1' });
    expect(server.count('/rotation')).toBe(2);
  });

  it('answers JWKS_UNAVAILABLE while no keys have loaded, and recovers', async () => {
    server.serve('/down', { status: 503, body: 'unavailable' });
    const v = await start({ url: server.url('/down') });
    expect(await rejectionCode(v.verify(await mint(legit)))).toBe('JWKS_UNAVAILABLE');
    server.serve('/down', { body: jwksOf(legit) });
    // Still within the cooldown: no new fetch, same answer.
    expect(await rejectionCode(v.verify(await mint(legit)))).toBe('JWKS_UNAVAILABLE');
    expect(server.count('/down')).toBe(1);
    clock.advanceSeconds(COOLDOWN_S);
    await expect(v.verify(await mint(legit))).resolves.toMatchObject({ subject: 'user-1' });
  });

  it('keeps verifying with the last good keys when the source fails later', async () => {
    server.serve('/outage', { body: jwksOf(legit) });
    const v = await start({ url: server.url('/outage') });
    server.serve('/outage', { status: 500, body: 'oops' });
    clock.advanceSeconds(COOLDOWN_S);
    expect(await rejectionCode(v.verify(await mint(next)))).toBe('TOKEN_KEY_UNKNOWN');
    expect(server.count('/outage')).toBe(2);
    await expect(v.verify(await mint(legit))).resolves.toMatchObject({ subject: 'user-1' });
  });
});

describe('createTokenVerifier with OIDC discovery', () => {
  it('finds the keys through the discovery document', async () => {
    server.serveDiscovery(server.origin, '/discovered/jwks');
    server.serve('/discovered/jwks', { body: jwksOf(legit) });
    const v = await start({ discovery: true }, { issuer: server.origin });
    await expect(v.verify(await mint(legit, { iss: server.origin }))).resolves.toMatchObject({ issuer: server.origin });
    expect(server.count('/.well-known/openid-configuration')).toBeGreaterThanOrEqual(1);
    expect(server.count('/discovered/jwks')).toBe(1);
  });
});

describe('keys named by the token are ignored', () => {
  it('never fetches a jku URL and refuses a token signed by the key it names', async () => {
    server.serve('/trusted', { body: jwksOf(legit) });
    const v = await start({ url: server.url('/trusted') });
    const jku = server.url('/evil/jwks');
    clock.advanceSeconds(COOLDOWN_S);
    expect(await rejectionCode(v.verify(await mint(attacker, {}, { jku })))).toBe('TOKEN_KEY_UNKNOWN');
    // Claiming the trusted kid does not help either.
    expect(await rejectionCode(v.verify(await mint(attacker, {}, { jku, kid: 'legit' })))).toBe('TOKEN_SIGNATURE_INVALID');
    // A genuine token that happens to carry jku still verifies, against the configured keys.
    await expect(v.verify(await mint(legit, {}, { jku }))).resolves.toMatchObject({ subject: 'user-1' });
    expect(server.count('/evil/jwks')).toBe(0);
  });

  it('ignores an embedded jwk and an x5u URL', async () => {
    server.serve('/trusted2', { body: jwksOf(legit) });
    const v = await start({ url: server.url('/trusted2') });
    const embedded = await mint(attacker, {}, { kid: 'legit', jwk: attacker.jwk });
    expect(await rejectionCode(v.verify(embedded))).toBe('TOKEN_SIGNATURE_INVALID');
    const x5u = await mint(attacker, {}, { kid: 'legit', x5u: server.url('/evil/cert.pem') });
    expect(await rejectionCode(v.verify(x5u))).toBe('TOKEN_SIGNATURE_INVALID');
    expect(server.count('/evil/cert.pem')).toBe(0);
  });
});
