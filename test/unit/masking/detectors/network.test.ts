import { describe, expect, it } from 'vitest';
import { ipv4, ipv6 } from '../../../../src/masking/detectors/network.js';
import { found, POSITIVES } from './examples.js';

describe('ipv4', () => {
  it.each(POSITIVES.ipv4 ?? [])('finds %s', (ip) => {
    expect(found(ipv4, `from ${ip} via proxy`)).toEqual([ip]);
    expect(found(ipv4, `{"ip":"${ip}"}`)).toEqual([ip]);
    expect(found(ipv4, `http://${ip}:8080/x`)).toEqual([ip]);
  });

  it('rejects octets over 255 and leading zeros', () => {
    for (const text of ['256.1.1.1', '1.2.3.256', '999.999.999.999', '01.2.3.4', '1.2.3.04']) expect(found(ipv4, text), text).toEqual([]);
  });

  it('leaves versions, OIDs and other dotted runs alone', () => {
    for (const text of ['1.2.3.4.5', 'v1.2.3.4', '1.3.6.1.4.1.343', 'version 10.0.0.1.2', '1.2.3', 'x1.2.3.4', '1.2.3.4x']) {
      expect(found(ipv4, text), text).toEqual([]);
    }
  });

  it('misses an address directly followed by a period (known trade-off, see network.ts)', () => {
    expect(found(ipv4, 'from 10.0.0.1.')).toEqual([]);
    expect(found(ipv4, 'from 10.0.0.1, then')).toEqual(['10.0.0.1']);
  });
});

describe('ipv6', () => {
  it.each(POSITIVES.ipv6 ?? [])('finds %s', (ip) => {
    expect(found(ipv6, `from ${ip} via proxy`)).toEqual([ip]);
    expect(found(ipv6, `{"ip":"${ip}"}`)).toEqual([ip]);
    expect(found(ipv6, `[${ip}]:443`)).toEqual([ip]);
  });

  it('finds an address that ends a sentence', () => {
    expect(found(ipv6, 'from 2001:db8::7.')).toEqual(['2001:db8::7']);
  });

  it('rejects malformed addresses', () => {
    const texts = ['2001:db8:::1', '1:2:3:4:5:6:7:8:9', '2001:db8::1::2', '12345::1', 'g001:db8::1', '1:2:3:4:5:6:7'];
    for (const text of texts) expect(found(ipv6, text), text).toEqual([]);
  });

  it('leaves times, MAC addresses, scopes and bare :: alone', () => {
    const texts = ['10:30:00', '2024-01-15T10:30:00Z', '00:1a:2b:3c:4d:5e', 'std::vector', 'a[::2]', '::', '::1', 'dead:beef'];
    for (const text of texts) expect(found(ipv6, text), text).toEqual([]);
  });
});
