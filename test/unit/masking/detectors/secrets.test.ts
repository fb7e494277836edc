import { describe, expect, it } from 'vitest';
import { awsAccessKey, bearerToken, jwt, pemPrivateKey } from '../../../../src/masking/detectors/secrets.js';
import { found, PEM_KEY, POSITIVES } from './examples.js';

const b64 = (value: unknown): string => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');

describe('jwt', () => {
  it.each(POSITIVES.jwt ?? [])('finds %s', (token) => {
    expect(found(jwt, `token=${token}&x=1`)).toEqual([token]);
    expect(found(jwt, `{"id_token":"${token}"}`)).toEqual([token]);
    expect(found(jwt, `It was ${token}.`)).toEqual([token]);
  });

  it('requires a JSON header with alg', () => {
    expect(found(jwt, `${b64({ typ: 'JWT' })}.${b64({ sub: 'x' })}.sig`)).toEqual([]);
    expect(found(jwt, `${b64('{"alg":')}.${b64({ sub: 'x' })}.sig`)).toEqual([]);
    expect(found(jwt, `${b64({ alg: 7 })}.${b64({ sub: 'x' })}.sig`)).toEqual([]);
    expect(found(jwt, 'eyJhbGciOiJub25lIn0.eyJ.x')).toEqual(['eyJhbGciOiJub25lIn0.eyJ.x']); // {"alg":"none"}
  });

  it('does not match two segments, or a piece of a longer token', () => {
    const token = POSITIVES.jwt?.[0] ?? '';
    expect(found(jwt, token.split('.').slice(0, 2).join('.'))).toEqual([]);
    expect(found(jwt, `x${token}`)).toEqual([]);
    expect(found(jwt, `_${token}`)).toEqual([]);
    expect(found(jwt, `${token}${'A'.repeat(2100)}`)).toEqual([]); // signature over its bound
  });
});

describe('bearer_token', () => {
  it.each(POSITIVES.bearer_token ?? [])('replaces only the token of Bearer %s', (token) => {
    expect(found(bearerToken, `Authorization: Bearer ${token}`)).toEqual([token]);
    expect(found(bearerToken, `"authorization":"bearer ${token}"`)).toEqual([token]);
  });

  it('leaves prose about bearer tokens alone', () => {
    for (const text of ['use the Bearer scheme', 'Bearer authentication is required', 'Bearer Authentication', 'Bearer  abc123def456']) {
      expect(found(bearerToken, text), text).toEqual([]);
    }
  });

  it('needs the Bearer prefix', () => {
    expect(found(bearerToken, 'Basic dXNlcjpwYXNzd29yZA==')).toEqual([]);
    expect(found(bearerToken, 'token abc123def456ghi')).toEqual([]);
  });

  it('still masks the start of a token longer than its bound', () => {
    const long = `a1${'b'.repeat(10_000)}`;
    const [value] = found(bearerToken, `Bearer ${long}`);
    expect(value?.length).toBe(bearerToken.maxLength - 2);
  });
});

describe('aws_access_key', () => {
  it.each(POSITIVES.aws_access_key ?? [])('finds %s', (key) => {
    expect(found(awsAccessKey, `aws_access_key_id = ${key}`)).toEqual([key]);
    expect(found(awsAccessKey, `"${key}"`)).toEqual([key]);
  });

  it('rejects other prefixes, wrong lengths, lowercase and pieces of longer secrets', () => {
    const texts = ['AIDAIOSFODNN7EXAMPLE', 'AKIAIOSFODNN7EXAMPL', 'AKIAIOSFODNN7EXAMPLE1', 'AKIAiosfodnn7example', 'xAKIAIOSFODNN7EXAMPLE', 'abc/AKIAIOSFODNN7EXAMPLE'];
    for (const text of texts) expect(found(awsAccessKey, text), text).toEqual([]);
  });
});

describe('pem_private_key', () => {
  it.each(POSITIVES.pem_private_key ?? [])('finds a whole key block %#', (key) => {
    expect(found(pemPrivateKey, `config:\n${key}\nend`)).toEqual([key]);
    expect(found(pemPrivateKey, JSON.stringify({ key }).slice(8, -2))).toHaveLength(1);
  });

  it('takes EC, DSA, ENCRYPTED and PGP key blocks too', () => {
    for (const label of ['EC PRIVATE KEY', 'DSA PRIVATE KEY', 'ENCRYPTED PRIVATE KEY', 'PGP PRIVATE KEY BLOCK']) {
      const block = `-----BEGIN ${label}-----\nAAAA\n-----END ${label}-----`;
      expect(found(pemPrivateKey, block), label).toEqual([block]);
    }
  });

  it('leaves public keys, certificates and unterminated blocks alone', () => {
    const texts = [
      '-----BEGIN PUBLIC KEY-----\nMIIB\n-----END PUBLIC KEY-----',
      '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----',
      '-----BEGIN RSA PRIVATE KEY-----\nMIIB\n',
      PEM_KEY.replace('-----END', '----END'),
    ];
    for (const text of texts) expect(found(pemPrivateKey, text), text).toEqual([]);
  });

  it('takes two keys as two matches, not one spanning both', () => {
    expect(found(pemPrivateKey, `${PEM_KEY}\n\n${PEM_KEY}`)).toEqual([PEM_KEY, PEM_KEY]);
  });

  it('does not match a body longer than its bound', () => {
    const body = 'A'.repeat(16_001);
    expect(found(pemPrivateKey, `-----BEGIN PRIVATE KEY-----${body}-----END PRIVATE KEY-----`)).toEqual([]);
  });
});
