// The mTLS peer's SPIFFE ID: strict parsing, first-match mapping, issuer and subject.
import { describe, expect, it } from 'vitest';
import { createSpiffeMapper, parseSpiffeId } from '../../../src/identity/spiffe.js';
import { ResidencyError, type ErrorCode } from '../../../src/errors/catalog.js';

function codeOf(fn: () => unknown): ErrorCode | undefined {
  try {
    fn();
  } catch (err) {
    if (err instanceof ResidencyError) return err.code;
    throw err;
  }
  return undefined;
}

describe('parseSpiffeId', () => {
  it('returns the ID and its trust domain', () => {
    expect(parseSpiffeId('spiffe://cluster.local/ns/eu-apps/sa/agent')).toEqual({ id: 'spiffe://cluster.local/ns/eu-apps/sa/agent', trustDomain: 'cluster.local' });
    expect(parseSpiffeId('spiffe://example.org')).toEqual({ id: 'spiffe://example.org', trustDomain: 'example.org' });
  });

  it.each([
    ['a trailing slash', 'spiffe://cluster.local/ns/a/'],
    ['an empty segment', 'spiffe://cluster.local/ns//a'],
    ['a dot segment', 'spiffe://cluster.local/ns/./a'],
    ['a dot-dot segment', 'spiffe://cluster.local/ns/../a'],
    ['percent-encoding', 'spiffe://cluster.local/ns/eu%2Dapps'],
    ['a query', 'spiffe://cluster.local/ns/a?x=1'],
    ['a fragment', 'spiffe://cluster.local/ns/a#f'],
    ['a port', 'spiffe://cluster.local:8443/ns/a'],
    ['userinfo', 'spiffe://u@cluster.local/ns/a'],
    ['an upper-case trust domain', 'spiffe://Cluster.local/ns/a'],
    ['an upper-case scheme', 'SPIFFE://cluster.local/ns/a'],
    ['an empty trust domain', 'spiffe:///ns/a'],
    ['no authority', 'spiffe:cluster.local/ns/a'],
    ['more than 2048 bytes', `spiffe://cluster.local/${'a'.repeat(2048)}`],
  ])('refuses %s with SPIFFE_ID_INVALID', (_name, id) => {
    expect(codeOf(() => parseSpiffeId(id))).toBe('SPIFFE_ID_INVALID');
  });
});

describe('createSpiffeMapper', () => {
  const mapper = createSpiffeMapper([
    { pattern: 'spiffe://cluster.local/ns/eu-*/**', region: 'eu-west-1' },
    { pattern: 'spiffe://cluster.local/ns/us-*/**', region: 'us-east-1' },
    // Shadowed for eu-* by the first entry: first match wins.
    { pattern: 'spiffe://cluster.local/**', region: 'us-east-1' },
  ]);

  it('maps an ID by the first matching pattern; issuer is the trust domain, subject the ID', () => {
    expect(mapper.identify('spiffe://cluster.local/ns/eu-apps/sa/agent')).toEqual({
      issuer: 'spiffe://cluster.local',
      subject: 'spiffe://cluster.local/ns/eu-apps/sa/agent',
      region: 'eu-west-1',
      source: 'spiffe',
    });
    expect(mapper.identify('spiffe://cluster.local/ns/us-batch/sa/x')?.region).toBe('us-east-1');
    expect(mapper.identify('spiffe://cluster.local/ns/default/sa/x')?.region).toBe('us-east-1');
  });

  it('sees no SPIFFE identity without a principal or with a non-SPIFFE one', () => {
    expect(mapper.identify(undefined)).toBeUndefined();
    expect(mapper.identify('')).toBeUndefined();
    expect(mapper.identify('CN=agent,O=example')).toBeUndefined();
    expect(mapper.identify('agent.example.com')).toBeUndefined();
  });

  it('refuses an unmapped ID and a malformed one, whatever the case of the scheme', () => {
    expect(codeOf(() => mapper.identify('spiffe://other.domain/ns/eu-apps/sa/agent'))).toBe('SPIFFE_ID_UNMAPPED');
    expect(codeOf(() => mapper.identify('spiffe://cluster.local/ns/eu-apps/'))).toBe('SPIFFE_ID_INVALID');
    expect(codeOf(() => mapper.identify('Spiffe://cluster.local/ns/eu-apps'))).toBe('SPIFFE_ID_INVALID');
  });
});
