import { describe, expect, it } from 'vitest';
import { resolveTarget } from '../../../src/policy/targets.js';
import { ResidencyError } from '../../../src/errors/catalog.js';
import { policyConfigSchema } from '../../../src/policy/config.js';

const policy = policyConfigSchema.parse({
  regions: ['eu-west-1', 'us-east-1', 'eu-central-1'],
  targets: [
    { name: 'crm-eu', region: 'eu-west-1', authority: 'crm.example.com', labels: ['pii'] },
    { name: 'crm-eu-admin', region: 'eu-central-1', authority: 'crm.example.com', path_prefix: '/admin/' },
    { name: 'any-us', region: 'us-east-1', authority: '*.us.example.com' },
    { name: 'exact-us', region: 'eu-west-1', authority: 'api.us.example.com' },
    { name: 'ported', region: 'us-east-1', authority: 'svc.local:8443' },
    { name: 'llm', region: 'us-east-1', authority: 'llm.example.com', labels: ['llm'], endpoints: { 'eu-west-1': 'llm-eu' } },
  ],
});

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
    expect(t).toEqual({ name: 'pinned', region: 'us-east-1', source: 'route', labels: [], endpoints: {} });
  });

  it('fills a route target without region from the table, with its labels and endpoints', () => {
    expect(resolveTarget(policy, { routeTarget: 'crm-eu', authority: 'x', path: '/' })).toEqual({ name: 'crm-eu', region: 'eu-west-1', source: 'route', labels: ['pii'], endpoints: {} });
    expect(resolveTarget(policy, { routeTarget: 'llm', authority: 'x', path: '/' })).toMatchObject({ region: 'us-east-1', labels: ['llm'], endpoints: { 'eu-west-1': 'llm-eu' } });
  });

  it('keeps a region pinned on the route over the table, and still inherits labels and endpoints', () => {
    expect(resolveTarget(policy, { routeTarget: 'llm', routeRegion: 'eu-west-1', authority: 'x', path: '/' })).toEqual({
      name: 'llm', region: 'eu-west-1', source: 'route', labels: ['llm'], endpoints: { 'eu-west-1': 'llm-eu' },
    });
  });

  it('brings the labels and endpoints of a target matched by authority', () => {
    expect(resolveTarget(policy, { authority: 'llm.example.com', path: '/v1/chat' })).toEqual({
      name: 'llm', region: 'us-east-1', source: 'policy', labels: ['llm'], endpoints: { 'eu-west-1': 'llm-eu' },
    });
    expect(resolveTarget(policy, { authority: 'crm.example.com', path: '/admin/x' })).toMatchObject({ labels: [], endpoints: {} });
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
    expect(resolveTarget(withDefault, { authority: 'unknown.example.org', path: '/' })).toEqual({ name: 'fallback', region: 'eu-west-1', source: 'default', labels: [], endpoints: {} });
  });
});
