// The policy section's validation, through the whole config as `residency-gate validate` runs it:
// every problem is reported, together, with its path.
import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../../src/config/load.js';
import { FIXTURE_PROFILES, RAW_POLICY } from './fixture.js';

// Loose on purpose: the tests write what an operator might, valid or not.
interface RawPolicy {
  jurisdictions: Record<string, string[]>;
  targets: Array<Record<string, unknown>>;
  rules: Array<Record<string, unknown>>;
  masking: Array<Record<string, unknown>>;
  [key: string]: unknown;
}

function problemsOf(change: (policy: RawPolicy) => void): string[] {
  const policy: RawPolicy = structuredClone(RAW_POLICY);
  change(policy);
  const raw = {
    identity: { issuers: [{ issuer: 'https://issuer.test', audience: 'rg', jwks: { file: 'jwks.json' } }] },
    policy,
    masking: { profiles: Object.fromEntries(FIXTURE_PROFILES.map((p) => [p, { detectors: { email: 'redact' } }])) },
    audit: { file: 'audit.jsonl' },
  };
  try {
    parseConfig(raw, '/tmp');
    return [];
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    return err.problems.map((p) => `${p.path}: ${p.message}`);
  }
}

const rule = (r: Record<string, unknown>): Record<string, unknown> => ({ name: 'extra', from: '*', to: '*', outcome: 'deny', ...r });
const RULES = RAW_POLICY.rules.length;

describe('policy config validation', () => {
  it('accepts the fixture policy', () => {
    expect(problemsOf(() => {})).toEqual([]);
  });

  it('rejects regions and jurisdictions a rule names but the policy does not declare', () => {
    expect(problemsOf((p) => p.rules.push(rule({ from: 'mars-1', to: 'emea' })))).toEqual([
      `policy.rules[${RULES}].from: unknown region or jurisdiction "mars-1"; declare it in policy.regions or policy.jurisdictions`,
      `policy.rules[${RULES}].to: unknown region or jurisdiction "emea"; declare it in policy.regions or policy.jurisdictions`,
    ]);
    expect(problemsOf((p) => p.rules.push(rule({ from: 'EU!' })))).toEqual([
      `policy.rules[${RULES}].from: unknown region or jurisdiction "EU!"; declare it in policy.regions or policy.jurisdictions`,
    ]);
  });

  it('rejects a rule naming an unknown target, or a label no target carries', () => {
    expect(problemsOf((p) => p.rules.push(rule({ target: { name: 'crm-us' } }), rule({ name: 'x2', target: { labels: ['pii', 'piii'] } })))).toEqual([
      `policy.rules[${RULES}].target.name: unknown target "crm-us"; declare it in policy.targets`,
      `policy.rules[${RULES + 1}].target.labels[1]: no target in policy.targets carries the label "piii"`,
    ]);
  });

  it('accepts a rule naming the default_target', () => {
    expect(problemsOf((p) => {
      p.default_target = { name: 'internal', region: 'eu-west-1' };
      p.rules.push(rule({ target: { name: 'internal' } }));
    })).toEqual([]);
  });

  it('wants a target selected by name or by labels, not both and not neither', () => {
    expect(problemsOf((p) => p.rules.push(rule({ target: { name: 'llm', labels: ['llm'] } }), rule({ name: 'x2', target: {} })))).toEqual([
      `policy.rules[${RULES}].target: select the target by name or by labels (one of them)`,
      `policy.rules[${RULES + 1}].target: select the target by name or by labels (one of them)`,
    ]);
  });

  it('rejects unknown masking profiles in rules, the default and masking rules', () => {
    expect(problemsOf((p) => {
      p.rules.push(rule({ outcome: 'allow-masked', profile: 'eu-strict' }));
      p.default = { outcome: 'allow-masked', profile: 'nope' };
      p.masking.push({ profile: 'gone', targets: ['llm'] });
    })).toEqual([
      'policy.masking[2].profile: unknown masking profile "gone"; define it under masking.profiles',
      `policy.rules[${RULES}].profile: unknown masking profile "eu-strict"; define it under masking.profiles`,
      'policy.default.profile: unknown masking profile "nope"; define it under masking.profiles',
    ]);
  });

  it('wants a profile on allow-masked, and only there', () => {
    expect(problemsOf((p) => {
      p.rules.push(rule({ outcome: 'allow-masked' }), rule({ name: 'x2', outcome: 'deny', profile: 'pii-basic' }));
      p.default = { outcome: 'allow-masked' };
    })).toEqual([
      `policy.rules[${RULES}].profile: allow-masked needs a masking profile`,
      `policy.rules[${RULES + 1}].profile: a profile applies only to allow-masked, not to deny`,
      'policy.default.profile: allow-masked needs a masking profile',
    ]);
  });

  it('rejects a reroute that can reach a target without endpoints', () => {
    expect(problemsOf((p) => p.rules.push(
      rule({ outcome: 'reroute', target: { name: 'crm-eu' } }),
      rule({ name: 'x2', outcome: 'reroute', target: { labels: ['pii'] } }),
      rule({ name: 'x3', outcome: 'reroute' }),
      rule({ name: 'x4', outcome: 'reroute', target: { labels: ['llm'] } }),
    ))).toEqual([
      `policy.rules[${RULES}].target.name: target "crm-eu" has no endpoints to reroute to`,
      `policy.rules[${RULES + 1}].target.labels: the rule reroutes targets without endpoints: crm-eu, crm-eu-exports, billing-eu, analytics-us, hr-ap`,
      `policy.rules[${RULES + 2}].target: a reroute rule must select its target by name or labels: only targets with endpoints can be rerouted`,
    ]);
  });

  it('does not let the default reroute', () => {
    expect(problemsOf((p) => {
      p.default = { outcome: 'reroute' };
    })).toEqual([expect.stringMatching(/^policy\.default\.outcome: /)]);
  });

  it('rejects duplicate rule names and the built-in names', () => {
    expect(problemsOf((p) => p.rules.push(rule({ name: 'eu-to-us' }), rule({ name: 'same-region' }), rule({ name: 'default' })))).toEqual([
      `policy.rules[${RULES}].name: duplicate of policy.rules[4]`,
      `policy.rules[${RULES + 1}].name: "same-region" is the name of a built-in rule`,
      `policy.rules[${RULES + 2}].name: "default" is the name of a built-in rule`,
    ]);
  });

  it('rejects a jurisdiction named like a region, and one with an undeclared member', () => {
    expect(problemsOf((p) => {
      p.jurisdictions = { ...p.jurisdictions, 'us-east-1': ['us-east-1'], apac: ['ap-south-1', 'ap-east-9'] };
    })).toEqual([
      'policy.jurisdictions.us-east-1: "us-east-1" is already a region; a jurisdiction needs a name of its own',
      'policy.jurisdictions.apac[1]: unknown region "ap-east-9"; declare it in policy.regions',
    ]);
  });

  it('rejects endpoints in undeclared regions, and an empty endpoints map', () => {
    expect(problemsOf((p) => {
      p.targets.push({ name: 'y', region: 'eu-west-1', authority: 'y.example.com', labels: [], endpoints: {} });
    })).toEqual([`policy.targets[${RAW_POLICY.targets.length}].endpoints: list at least one region: route-key pair, or leave endpoints out`]);
    expect(problemsOf((p) => {
      p.targets.push({ name: 'x', region: 'eu-west-1', authority: 'x.example.com', labels: [], endpoints: { 'mars-1': 'x-mars' } });
    })).toEqual([`policy.targets[${RAW_POLICY.targets.length}].endpoints.mars-1: unknown region "mars-1"; declare it in policy.regions`]);
  });

  it('lets one target have several entries only if they agree on region, labels and endpoints', () => {
    const n = RAW_POLICY.targets.length;
    expect(problemsOf((p) => p.targets.push({ name: 'crm-eu', region: 'eu-west-1', authority: 'crm.example.eu', labels: ['pii'] }))).toEqual([]);
    expect(problemsOf((p) => p.targets.push({ name: 'crm-eu', region: 'eu-central-1', authority: 'crm.example.eu', labels: ['pii'] }))).toEqual([
      `policy.targets[${n}].name: target "crm-eu" is also policy.targets[0] with another region, labels or endpoints`,
    ]);
  });

  it('reports problems from every part of the policy together', () => {
    const problems = problemsOf((p) => {
      p.jurisdictions = { ...p.jurisdictions, 'eu-west-1': ['eu-west-1'] };
      p.targets[0] = { ...p.targets[0], region: 'eu-north-9' };
      p.rules.push(rule({ name: 'public-anywhere', from: 'eu', to: 'nowhere', outcome: 'reroute', target: { name: 'docs-us' } }));
      p.masking.push({ profile: 'pii-basic', origin_regions: ['mars-1'] });
    });
    expect(problems).toEqual([
      'policy.jurisdictions.eu-west-1: "eu-west-1" is already a region; a jurisdiction needs a name of its own',
      'policy.targets[0].region: unknown region "eu-north-9"; declare it in policy.regions',
      `policy.rules[${RULES}].name: duplicate of policy.rules[0]`,
      `policy.rules[${RULES}].to: unknown region or jurisdiction "nowhere"; declare it in policy.regions or policy.jurisdictions`,
      `policy.rules[${RULES}].target.name: target "docs-us" has no endpoints to reroute to`,
      'policy.masking[2].origin_regions[0]: unknown region "mars-1"',
    ]);
  });

  it('reports shape errors in rules with their paths', () => {
    expect(problemsOf((p) => p.rules.push(rule({ outcome: 'block', dry_run: 'yes', when: 'always' })))).toEqual(
      expect.arrayContaining([
        expect.stringMatching(new RegExp(`^policy\\.rules\\[${RULES}\\]\\.outcome: `)),
        expect.stringMatching(new RegExp(`^policy\\.rules\\[${RULES}\\]\\.dry_run: `)),
        expect.stringMatching(new RegExp(`^policy\\.rules\\[${RULES}\\]: .*when`)),
      ]),
    );
  });
});
