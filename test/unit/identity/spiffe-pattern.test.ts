// SPIFFE ID patterns: `*` within one segment, `**` across any number of segments, nothing decoded.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { matchSegment, SpiffePattern, spiffePatternProblem } from '../../../src/identity/spiffe-pattern.js';

const matches = (pattern: string, id: string): boolean => new SpiffePattern(pattern).matches(id);

describe('SpiffePattern: segments', () => {
  it('matches a literal pattern exactly, and nothing longer, shorter or in another case', () => {
    const p = 'spiffe://cluster.local/ns/eu-apps/sa/agent';
    expect(matches(p, 'spiffe://cluster.local/ns/eu-apps/sa/agent')).toBe(true);
    expect(matches(p, 'spiffe://cluster.local/ns/eu-apps/sa/agent/x')).toBe(false);
    expect(matches(p, 'spiffe://cluster.local/ns/eu-apps/sa')).toBe(false);
    expect(matches(p, 'spiffe://cluster.local/ns/EU-apps/sa/agent')).toBe(false);
    expect(matches(p, 'spiffe://other.local/ns/eu-apps/sa/agent')).toBe(false);
  });

  it('matches the trust domain as the first segment', () => {
    expect(matches('spiffe://*.example/ns/a', 'spiffe://prod.example/ns/a')).toBe(true);
    expect(matches('spiffe://*.example/ns/a', 'spiffe://example/ns/a')).toBe(false);
    expect(matches('spiffe://cluster.local', 'spiffe://cluster.local')).toBe(true);
    expect(matches('spiffe://cluster.local', 'spiffe://cluster.local/ns/a')).toBe(false);
  });
});

describe('SpiffePattern: * and **', () => {
  const eu = 'spiffe://cluster.local/ns/eu-*/**';

  it('`*` matches within one segment, never across a "/"', () => {
    expect(matches('spiffe://cluster.local/ns/eu-*/sa/agent', 'spiffe://cluster.local/ns/eu-apps/sa/agent')).toBe(true);
    expect(matches('spiffe://cluster.local/ns/eu-*/sa/agent', 'spiffe://cluster.local/ns/eu-/sa/agent')).toBe(true);
    expect(matches('spiffe://cluster.local/ns/eu-*/sa/agent', 'spiffe://cluster.local/ns/eu-apps/x/sa/agent')).toBe(false);
    expect(matches('spiffe://cluster.local/ns/*', 'spiffe://cluster.local/ns/a/b')).toBe(false);
    expect(matches('spiffe://cluster.local/ns/*-*-prod', 'spiffe://cluster.local/ns/eu-west-prod')).toBe(true);
    expect(matches('spiffe://cluster.local/ns/*-*-prod', 'spiffe://cluster.local/ns/euwest-prod')).toBe(false);
  });

  it('`**` matches any number of segments, none included', () => {
    expect(matches(eu, 'spiffe://cluster.local/ns/eu-apps/sa/agent')).toBe(true);
    expect(matches(eu, 'spiffe://cluster.local/ns/eu-apps/a/b/c/d/e')).toBe(true);
    expect(matches(eu, 'spiffe://cluster.local/ns/eu-apps')).toBe(true);
    expect(matches('spiffe://cluster.local/**/sa/agent', 'spiffe://cluster.local/sa/agent')).toBe(true);
    expect(matches('spiffe://cluster.local/**/sa/agent', 'spiffe://cluster.local/ns/x/sa/agent')).toBe(true);
    expect(matches('spiffe://cluster.local/**/sa/agent', 'spiffe://cluster.local/ns/x/sa/agent/y')).toBe(false);
    expect(matches('spiffe://cluster.local/**/ns/**/sa/*', 'spiffe://cluster.local/a/ns/b/c/sa/d')).toBe(true);
  });

  it('matches nothing that differs: other namespaces, other trust domains, non-SPIFFE principals', () => {
    expect(matches(eu, 'spiffe://cluster.local/ns/us-apps/sa/agent')).toBe(false);
    expect(matches(eu, 'spiffe://cluster.local/nss/eu-apps/sa/agent')).toBe(false);
    expect(matches(eu, 'spiffe://evil.local/ns/eu-apps/sa/agent')).toBe(false);
    expect(matches(eu, 'spiffe://cluster.local/prefix/ns/eu-apps/sa/agent')).toBe(false);
    expect(matches(eu, 'CN=agent,O=eu-apps')).toBe(false);
    expect(matches(eu, '')).toBe(false);
  });

  it('never matches an ID with a trailing slash or an empty segment, even through * or **', () => {
    expect(matches('spiffe://cluster.local/ns/eu-apps', 'spiffe://cluster.local/ns/eu-apps/')).toBe(false);
    expect(matches(eu, 'spiffe://cluster.local/ns/eu-apps/')).toBe(false);
    expect(matches(eu, 'spiffe://cluster.local/ns/eu-apps//sa')).toBe(false);
    expect(matches('spiffe://cluster.local/ns/*', 'spiffe://cluster.local/ns/')).toBe(false);
    expect(matches('spiffe://cluster.local/**', 'spiffe://cluster.local/')).toBe(false);
  });

  it('does not decode percent-encoding: %2F is no slash, %2D no dash', () => {
    expect(matches(eu, 'spiffe://cluster.local/ns/eu%2Dapps/sa/agent')).toBe(false);
    expect(matches('spiffe://cluster.local/ns/eu-apps/sa/agent', 'spiffe://cluster.local/ns/eu-apps%2Fsa/agent')).toBe(false);
    // `*` takes the encoded text as it is, as one segment.
    expect(matches('spiffe://cluster.local/ns/*/sa/agent', 'spiffe://cluster.local/ns/a%2Fb/sa/agent')).toBe(true);
    expect(matches('spiffe://cluster.local/ns/*/*/sa/agent', 'spiffe://cluster.local/ns/a%2Fb/sa/agent')).toBe(false);
  });

  it('agrees with a reference regex on random segments (no "/" crossing, no runaway backtracking)', () => {
    const seg = fc.stringMatching(/^[ab*]{0,6}$/);
    fc.assert(
      fc.property(seg, fc.stringMatching(/^[ab]{0,8}$/), (p, t) => {
        const regex = new RegExp(`^${p.replace(/\*+/g, '[^/]*')}$`);
        expect(matchSegment(p, t)).toBe(regex.test(t));
      }),
    );
    const started = performance.now();
    expect(matchSegment('*a*a*a*a*a*a*a*a*b', 'a'.repeat(2000))).toBe(false);
    expect(matches('spiffe://td/**/**/**/**/x', `spiffe://td/${Array.from({ length: 1000 }, () => 'a').join('/')}`)).toBe(false);
    expect(performance.now() - started).toBeLessThan(500);
  });
});

describe('spiffePatternProblem', () => {
  it.each([
    'spiffe://cluster.local/ns/eu-*/**',
    'spiffe://cluster.local/**',
    'spiffe://*.mesh.example/ns/*/sa/*',
    'spiffe://cluster.local',
  ])('accepts %s', (pattern) => expect(spiffePatternProblem(pattern)).toBeUndefined());

  it.each([
    ['no scheme', 'cluster.local/ns/a', /starts with/],
    ['another scheme', 'https://cluster.local/ns/a', /starts with/],
    ['an empty trust domain', 'spiffe:///ns/a', /trust domain is empty/],
    ['** as the trust domain', 'spiffe://**/ns/a', /trust domain/],
    ['an upper-case trust domain', 'spiffe://Cluster.local/ns/a', /lower-case/],
    ['a trailing slash', 'spiffe://cluster.local/ns/', /empty path segment/],
    ['a double slash', 'spiffe://cluster.local//ns', /empty path segment/],
    ['** inside a segment', 'spiffe://cluster.local/ns/eu-**', /whole segment/],
    ['a dot segment', 'spiffe://cluster.local/ns/../a', /not a valid path segment/],
    ['percent-encoding', 'spiffe://cluster.local/ns/a%2Fb', /characters/],
    ['a query', 'spiffe://cluster.local/ns/a?x=1', /characters/],
    ['a port', 'spiffe://cluster.local:443/ns/a', /trust domain/],
  ])('refuses %s', (_name, pattern, message) => {
    expect(spiffePatternProblem(pattern)).toMatch(message);
    expect(() => new SpiffePattern(pattern)).toThrow(message);
  });
});
