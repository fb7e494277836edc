// docs/approvals.md must stay true: its config example validates, its error table is the API's,
// and the config section's defaults and checks are what it says.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { APPROVAL_ERRORS } from '../../../src/approvals/errors.js';
import { ConfigError, parseConfig } from '../../../src/config/load.js';

const DOC = readFileSync(new URL('../../../docs/approvals.md', import.meta.url), 'utf8');
const GRPC: Record<number, string> = { 3: 'INVALID_ARGUMENT', 5: 'NOT_FOUND', 7: 'PERMISSION_DENIED', 9: 'FAILED_PRECONDITION', 13: 'INTERNAL', 14: 'UNAVAILABLE', 16: 'UNAUTHENTICATED' };

function base(approvals: unknown, policyRules: unknown[] = []): Record<string, unknown> {
  return {
    identity: { issuers: [{ issuer: 'https://login.example.eu', audience: 'residency-gate', jwks: { file: './jwks.json' } }] },
    policy: {
      regions: ['eu-west-1', 'eu-central-1', 'us-east-1'],
      jurisdictions: { eu: ['eu-west-1', 'eu-central-1'] },
      targets: [{ name: 'analytics-us', region: 'us-east-1', authority: 'analytics.us.example.com' }],
      rules: policyRules,
    },
    audit: { file: './var/audit.jsonl' },
    approvals,
  };
}

const problems = (raw: unknown): string[] => {
  try {
    parseConfig(raw, '/etc/rg');
    return [];
  } catch (err) {
    if (err instanceof ConfigError) return err.problems.map((p) => `${p.path}: ${p.message}`);
    throw err;
  }
};

describe('docs/approvals.md', () => {
  it('its set-up example is a valid config', () => {
    const yaml = /## Set-up\s+```yaml\n([\s\S]*?)```/.exec(DOC)?.[1];
    expect(yaml).toBeDefined();
    const doc = parse(yaml!) as { policy: { rules: unknown[] }; approvals: unknown };
    const config = parseConfig(base(doc.approvals, doc.policy.rules), '/etc/rg');
    expect(config.approvals?.store).toEqual({ type: 'file', dir: '/etc/rg/var/approvals' });
    expect(config.approvals?.reviewers.issuers[0]).toMatchObject({ role_claim: 'groups', roles: ['residency-reviewers'] });
  });

  it('lists every reviewer API error with its HTTP and gRPC status', () => {
    const rows = new Map(DOC.split('\n').map((l) => /^\| `([A-Z_]+)` \| (\d{3}) \| ([A-Z_]+) \|/.exec(l)).filter((m): m is RegExpExecArray => m !== null).map((m) => [m[1], { http: Number(m[2]), grpc: m[3] }]));
    expect([...rows.keys()].sort()).toEqual(Object.keys(APPROVAL_ERRORS).sort());
    for (const [code, e] of Object.entries(APPROVAL_ERRORS)) expect(rows.get(code), code).toEqual({ http: e.http, grpc: GRPC[e.grpc] });
  });
});

describe('the approvals config section', () => {
  const reviewers = { issuers: [{ issuer: 'https://r.example', audience: 'a', jwks: { file: './r.json' }, roles: ['reviewer'] }] };

  it('is optional; its store defaults to a file store beside the audit file', () => {
    expect(parseConfig(base(undefined), '/etc/rg').approvals).toBeUndefined();
    const c = parseConfig(base({ reviewers }), '/etc/rg');
    expect(c.approvals?.store).toEqual({ type: 'file', dir: '/etc/rg/var/approvals' });
    expect(c.approvals?.reviewers.issuers[0]?.jwks.file).toBe('/etc/rg/r.json');
    expect(c.approvals?.grant).toEqual({ default_lifetime_seconds: 3600, min_lifetime_seconds: 60, max_lifetime_seconds: 86400 });
  });

  it('reports bad settings with their paths', () => {
    expect(problems(base({}))).toEqual([expect.stringMatching(/^approvals\.reviewers: /)]);
    expect(problems(base({ reviewers, grant: { default_lifetime_seconds: 10 } }))).toEqual([expect.stringMatching(/^approvals\.grant: expected min_lifetime_seconds <= default/)]);
    expect(problems(base({ reviewers, store: { type: 'redis', url: 'http://x' } }))).toEqual([expect.stringMatching(/^approvals\.store\.url: /)]);
    expect(problems(base({ reviewers, store: { type: 'sql' } }))).toEqual([expect.stringMatching(/^approvals\.store/)]);
    expect(problems(base({ reviewers: { issuers: [{ ...reviewers.issuers[0], roles: [] }] } }))).toEqual([expect.stringMatching(/^approvals\.reviewers\.issuers\[0\]\.roles: /)]);
  });
});
