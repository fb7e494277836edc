import type { PeerCertificate } from 'node:tls';
import { describe, expect, it } from 'vitest';
import { checkPeer, parseSubjectAltNames } from '../../../src/tls/peer.js';

const cert = (subjectaltname: string) => ({ subject: { CN: 'x' }, subjectaltname }) as unknown as PeerCertificate;

describe('client certificate names', () => {
  it('parses the names Node reports, quoted values included', () => {
    expect(parseSubjectAltNames('DNS:envoy, IP Address:127.0.0.1, URI:spiffe://cluster.local/ns/a/sa/b, DNS:"a,b"')).toEqual([
      { type: 'DNS', value: 'envoy' },
      { type: 'IP', value: '127.0.0.1' },
      { type: 'URI', value: 'spiffe://cluster.local/ns/a/sa/b' },
      { type: 'DNS', value: 'a,b' },
    ]);
    expect(parseSubjectAltNames(undefined)).toEqual([]);
  });

  it('allows a typed or bare match, DNS case-insensitively, and refuses everything else', () => {
    expect(checkPeer(cert('DNS:Envoy'), ['DNS:envoy'])).toBeUndefined();
    expect(checkPeer(cert('URI:spiffe://td/ns/a/sa/envoy'), ['spiffe://td/ns/a/sa/envoy'])).toBeUndefined();
    expect(checkPeer(cert('IP Address:10.0.0.1'), ['IP:10.0.0.1'])).toBeUndefined();
    expect(checkPeer(cert('DNS:envoy'), ['URI:envoy'])).toBe('san_not_allowed');
    expect(checkPeer(cert('DNS:intruder'), ['DNS:envoy'])).toBe('san_not_allowed');
    expect(checkPeer(cert(''), ['DNS:envoy'])).toBe('san_not_allowed');
    expect(checkPeer(undefined, ['DNS:envoy'])).toBe('no_certificate');
    expect(checkPeer({} as PeerCertificate, ['DNS:envoy'])).toBe('no_certificate');
  });
});
