// The identity section: sources, SPIFFE patterns, jwt_authn trust, and regions checked against the policy.
import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../../src/config/load.js';

const issuer = { issuer: 'https://idp.example', audience: 'rg', jwks: { file: 'jwks.json' } };

function problems(identity: unknown): string[] {
  try {
    parseConfig({ identity, policy: { regions: ['eu-west-1', 'us-east-1'] }, audit: { file: 'audit.jsonl' } }, '/tmp');
    return [];
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    return err.problems.map((p) => `${p.path}: ${p.message}`);
  }
}

describe('identity config', () => {
  it('fills defaults: no SPIFFE mapping, no jwt_authn', () => {
    const config = parseConfig({ identity: { issuers: [issuer] }, policy: { regions: ['eu-west-1'] }, audit: { file: 'a.jsonl' } }, '/tmp');
    expect(config.identity.spiffe).toEqual([]);
    expect(config.identity.jwt_authn).toBeUndefined();
  });

  it('accepts SPIFFE or jwt_authn alone, without bearer issuers', () => {
    expect(problems({ spiffe: [{ pattern: 'spiffe://cluster.local/ns/eu-*/**', region: 'eu-west-1' }] })).toEqual([]);
    expect(problems({ jwt_authn: { trusted: true, issuers: ['https://idp.example'] } })).toEqual([]);
    const config = parseConfig({ identity: { jwt_authn: { trusted: true, issuers: ['https://idp.example'] } }, policy: { regions: ['eu-west-1'] }, audit: { file: 'a.jsonl' } }, '/tmp');
    expect(config.identity.jwt_authn).toEqual({ trusted: true, payload_key: 'jwt_payload', region_claim: 'region', issuers: ['https://idp.example'] });
    expect(config.identity.issuers).toEqual([]);
  });

  it('needs at least one source; an untrusted jwt_authn is none', () => {
    expect(problems({})).toEqual(['identity: configure at least one identity source: issuers, spiffe, or jwt_authn with trusted: true']);
    expect(problems({ jwt_authn: { trusted: false, issuers: ['https://idp.example'] } })).toHaveLength(1);
  });

  it('checks SPIFFE patterns and their regions against policy.regions', () => {
    expect(
      problems({
        issuers: [issuer],
        spiffe: [
          { pattern: 'spiffe://cluster.local/ns/eu-**', region: 'eu-west-1' },
          { pattern: 'spiffe://cluster.local/ns/ap-*/**', region: 'ap-south-1' },
          { pattern: 'spiffe://cluster.local/ns/x/', region: 'eu-west-1' },
        ],
      }),
    ).toEqual([
      'identity.spiffe[0].pattern: "**" must be a whole segment, not part of "eu-**"',
      'identity.spiffe[2].pattern: empty path segment (a trailing "/" or "//")',
      'identity.spiffe[1].region: unknown region "ap-south-1"; declare it in policy.regions',
    ]);
    expect(problems({ issuers: [issuer], spiffe: [{ pattern: 'spiffe://cluster.local/ns/ap-*/**', region: 'ap-south-1' }] })).toEqual([
      'identity.spiffe[0].region: unknown region "ap-south-1"; declare it in policy.regions',
    ]);
  });

  it('requires trusted to be stated and issuers listed for jwt_authn; refuses unknown keys', () => {
    expect(problems({ issuers: [issuer], jwt_authn: { issuers: ['https://idp.example'] } })).toEqual([expect.stringMatching(/^identity\.jwt_authn\.trusted: /)]);
    expect(problems({ issuers: [issuer], jwt_authn: { trusted: true, issuers: [] } })).toEqual([expect.stringMatching(/^identity\.jwt_authn\.issuers: /)]);
    expect(problems({ issuers: [issuer], jwt_authn: { trusted: true, issuers: ['a'], payload_in_metadata: 'x' } })).toEqual([expect.stringMatching(/^identity\.jwt_authn: .*payload_in_metadata/)]);
  });
});
