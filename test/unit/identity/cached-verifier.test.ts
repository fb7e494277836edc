import { describe, expect, it } from 'vitest';
import { cachedVerifier } from '../../../src/identity/cached-verifier.js';
import type { TokenVerifier, VerifiedIdentity } from '../../../src/identity/types.js';

function counting(expiresAt?: number) {
  const calls: string[] = [];
  const inner: TokenVerifier = {
    async verify(token) {
      calls.push(token);
      if (token.startsWith('bad')) throw new Error('TOKEN_SIGNATURE_INVALID');
      return { issuer: 'iss', subject: token, region: 'eu-west-1', source: 'token', expiresAt } satisfies VerifiedIdentity;
    },
    close: () => void calls.push('closed'),
  };
  return { inner, calls };
}

describe('cachedVerifier', () => {
  it('verifies a token once and answers repeats from the cache', async () => {
    const { inner, calls } = counting(2_000);
    const v = cachedVerifier(inner, { maxEntries: 10, maxAgeMs: 60_000, now: () => 1_000_000 });
    expect((await v.verify('a')).subject).toBe('a');
    expect((await v.verify('a')).subject).toBe('a');
    expect(calls).toEqual(['a']);
  });

  it('never caches a failure', async () => {
    const { inner, calls } = counting(2_000);
    const v = cachedVerifier(inner, { maxEntries: 10, maxAgeMs: 60_000, now: () => 1_000_000 });
    await expect(v.verify('bad')).rejects.toThrow();
    await expect(v.verify('bad')).rejects.toThrow();
    expect(calls).toEqual(['bad', 'bad']);
  });

  it('verifies again once the token expires or the maximum age passes', async () => {
    let now = 1_000_000;
    const { inner, calls } = counting(1_005); // exp: 1,005 s = 1,005,000 ms
    const v = cachedVerifier(inner, { maxEntries: 10, maxAgeMs: 60_000, now: () => now });
    await v.verify('a');
    now = 1_004_999;
    await v.verify('a');
    now = 1_005_000;
    await v.verify('a');
    expect(calls).toEqual(['a', 'a']);
    const long = counting(10_000_000);
    const w = cachedVerifier(long.inner, { maxEntries: 10, maxAgeMs: 1_000, now: () => now });
    await w.verify('b');
    now += 1_000;
    await w.verify('b');
    expect(long.calls).toEqual(['b', 'b']);
  });

  it('holds at most maxEntries, dropping the least recently used', async () => {
    const { inner, calls } = counting(2_000);
    const v = cachedVerifier(inner, { maxEntries: 2, maxAgeMs: 60_000, now: () => 1_000_000 });
    await v.verify('a');
    await v.verify('b');
    await v.verify('a');
    await v.verify('c'); // evicts b
    await v.verify('a');
    await v.verify('b');
    expect(calls).toEqual(['a', 'b', 'c', 'b']);
  });
});
