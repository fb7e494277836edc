import { describe, expect, it } from 'vitest';
import { resolveTarget } from '../../../src/policy/targets.js';
import { ResidencyError } from '../../../src/errors/catalog.js';
import type { Config } from '../../../src/config/schema.js';

const policy: Config['policy'] = {
  regions: ['eu-west-1', 'us-east-1', 'eu-central-1'],
  targets: [
    { name: 'crm-eu', region: 'eu-west-1', authority: 'crm.example.com', path_prefix: '/' },
    { name: 'crm-eu-admin', region: 'eu-central-1', authority: 'crm.example.com', path_prefix: '/admin/' },
    { name: 'any-us', region: 'us-east-1', authority: '*.us.example.com', path_prefix: '/' },
    { name: 'exact-us', region: 'eu-west-1', authority: 'api.us.example.com', path_prefix: '/' },
    { name: 'ported', region: 'us-east-1', authority: 'svc.local:8443', path_prefix: '/' },
  ],
  masking: [],
};

const codeOf = (fn: () => unknown): string | undefined => {
  try {
    fn();
  } catch (err) {
    return err instanceof ResidencyError ? err.code : 'not-a-residency-error';
  }
  return undefined;
};

describe('resolveTarget', () => {
  it('takes the route context_extensions first', () => {
    const t = resolveTarget(policy, { routeTarget: 'pinned', routeRegion: 'us-east-1', authority: 'crm.example.com', path: '/' });
    expect(t).toEqual({ name: 'pinned', region: 'us-east-1', source: 'route' });
  });

  it('fills a route target without region from the table', () => {
    expect(resolveTarget(policy, { routeTarget: 'crm-eu', authority: 'x', path: '/' })).toEqual({ name: 'crm-eu', region: 'eu-west-1', source: 'route' });
  });

  it('denies a route region the policy does not declare, and a route target without any region', () => {
    expect(codeOf(() => resolveTarget(policy, { routeTarget: 'x', routeRegion: 'mars-1', authority: '', path: '/' }))).toBe('TARGET_UNKNOWN');
    expect(codeOf(() => resolveTarget(policy, { routeTarget: 'nobody', authority: '', path: '/' }))).toBe('TARGET_UNKNOWN');
    expect(codeOf(() => resolveTarget(policy, { routeRegion: 'us-east-1', authority: '', path: '/' }))).toBe('TARGET_UNKNOWN');
  });

  it('matches authority ignoring port and case, longest path prefix first', () => {
    expect(resolveTarget(policy, { authority: 'CRM.example.com:443', path: '/v1/x' }).name).toBe('crm-eu');
    expect(resolveTarget(policy, { authority: 'crm.example.com', path: '/admin/users' }).name).toBe('crm-eu-admin');
  });

  it('prefers an exact host over a wildcard and needs a real subdomain for *.suffix', () => {
    expect(resolveTarget(policy, { authority: 'api.us.example.com', path: '/' }).name).toBe('exact-us');
    expect(resolveTarget(policy, { authority: 'x.us.example.com', path: '/' }).name).toBe('any-us');
    expect(codeOf(() => resolveTarget(policy, { authority: 'us.example.com', path: '/' }))).toBe('TARGET_UNKNOWN');
    expect(codeOf(() => resolveTarget(policy, { authority: 'evilus.example.com', path: '/' }))).toBe('TARGET_UNKNOWN');
  });

  it('matches a pattern with a port only on that port', () => {
    expect(resolveTarget(policy, { authority: 'svc.local:8443', path: '/' }).name).toBe('ported');
    expect(codeOf(() => resolveTarget(policy, { authority: 'svc.local:80', path: '/' }))).toBe('TARGET_UNKNOWN');
  });

  it('denies an unknown target unless the policy names a default', () => {
    expect(codeOf(() => resolveTarget(policy, { authority: 'unknown.example.org', path: '/' }))).toBe('TARGET_UNKNOWN');
    const withDefault = { ...policy, default_target: { name: 'fallback', region: 'eu-west-1' } };
    expect(resolveTarget(withDefault, { authority: 'unknown.example.org', path: '/' })).toEqual({ name: 'fallback', region: 'eu-west-1', source: 'default' });
  });
});
