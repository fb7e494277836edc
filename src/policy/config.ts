// The `policy` section of the config file: regions and jurisdictions, the target table, the rule
// table with its default, and the masking rules. Cross-references inside the section are checked
// in config-checks.ts, so every problem is reported with its path in one pass. Masking profiles
// live in the top-level `masking` section: src/config/schema.ts checks policyProfileRefs there.
//
// policy:
//   regions: [eu-west-1, eu-central-1, us-east-1]
//   jurisdictions: { eu: [eu-west-1, eu-central-1] }
//   targets:
//     - { name: llm, region: us-east-1, authority: llm.example.com, labels: [pii],
//         endpoints: { eu-west-1: llm-eu, us-east-1: llm-us } }
//   rules:
//     - { name: llm-in-region, from: '*', to: '*', target: { name: llm }, outcome: reroute }
//     - { name: eu-pii-stays, from: eu, to: '*', target: { labels: [pii] }, outcome: deny }
//   default: { outcome: deny }
import { z } from 'zod';
import { policyProblems } from './config-checks.js';
import { parseCidr } from './networks.js';

const RULE_OUTCOMES = ['allow', 'deny', 'approval', 'allow-masked', 'reroute'] as const;
// The default may not reroute: a reroute needs endpoints, which only a rule's selected targets are checked to have.
const DEFAULT_OUTCOMES = ['allow', 'deny', 'approval', 'allow-masked'] as const;

const NAME = /^[a-z0-9][a-z0-9-]{0,62}$/;
const regionName = z.string().regex(NAME, 'a region is lower-case letters, digits and dashes');
const jurisdictionName = z.string().regex(NAME, 'a jurisdiction is lower-case letters, digits and dashes');
const label = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, 'a label is lower-case letters, digits, _ and -');
// A region, a jurisdiction or '*'; config-checks.ts reports any other name as unknown.
const scope = z.string().min(1);
const routeKey = z.string().regex(/^\S{1,256}$/, 'a route key is 1 to 256 characters without spaces');
const profileName = z.string().min(1);

const target = z.strictObject({
  name: z.string().min(1),
  region: regionName,
  authority: z
    .string()
    .regex(/^(\*\.)?[a-z0-9.-]+(:\d{1,5})?$/i, 'expected a host name, optionally with a port, or *.suffix')
    .optional(),
  path_prefix: z.string().startsWith('/').default('/'),
  /** Data classification; rules select targets by these. */
  labels: z.array(label).default([]),
  /** Region → route key of this target's endpoint in that region: where a reroute sends a caller. */
  endpoints: z
    .record(regionName, routeKey)
    .refine((e) => Object.keys(e).length > 0, 'list at least one region: route-key pair, or leave endpoints out')
    .optional(),
});

const ruleTarget = z
  .strictObject({ name: z.string().min(1).optional(), labels: z.array(label).min(1).optional() })
  .refine((t) => (t.name === undefined) !== (t.labels === undefined), 'select the target by name or by labels (one of them)');

// A profile belongs to allow-masked alone: on another outcome it would suggest masking that never happens.
function checkProfile(value: { outcome: string; profile?: string | undefined }, ctx: z.RefinementCtx): void {
  if (value.outcome === 'allow-masked' && value.profile === undefined) {
    ctx.addIssue({ code: 'custom', path: ['profile'], message: 'allow-masked needs a masking profile' });
  }
  if (value.outcome !== 'allow-masked' && value.profile !== undefined) {
    ctx.addIssue({ code: 'custom', path: ['profile'], message: `a profile applies only to allow-masked, not to ${value.outcome}` });
  }
}

const rule = z
  .strictObject({
    name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/, 'a rule name is letters, digits, ".", "_" and "-"'),
    from: scope,
    to: scope,
    /** Absent: any target. */
    target: ruleTarget.optional(),
    outcome: z.enum(RULE_OUTCOMES),
    profile: profileName.optional(),
    dry_run: z.boolean().default(false),
  })
  .superRefine(checkProfile);

const policyDefault = z
  .strictObject({
    outcome: z.enum(DEFAULT_OUTCOMES).default('deny'),
    profile: profileName.optional(),
    dry_run: z.boolean().default(false),
  })
  .superRefine(checkProfile);

const maskingRule = z.strictObject({
  profile: profileName,
  directions: z.array(z.enum(['request', 'response'])).min(1).default(['request', 'response']),
  targets: z.array(z.string().min(1)).min(1).optional(),
  origin_regions: z.array(regionName).min(1).optional(),
  target_regions: z.array(regionName).min(1).optional(),
  cross_region_only: z.boolean().default(false),
});

const network = z.strictObject({
  cidr: z.string().superRefine((cidr, ctx) => {
    try {
      parseCidr(cidr);
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: (err as Error).message });
    }
  }),
  region: regionName,
});

const policyShape = z.strictObject({
  regions: z.array(regionName).min(1),
  jurisdictions: z.record(jurisdictionName, z.array(regionName).min(1)).default({}),
  targets: z.array(target).default([]),
  default_target: z.strictObject({ name: z.string().min(1), region: regionName }).optional(),
  // Most specific first, whatever the order in the file (rules.ts); the file order breaks ties.
  rules: z.array(rule).default([]),
  default: policyDefault.prefault({}),
  /** Every rule and the default in dry run: nothing is denied, every decision says what would be. */
  dry_run: z.boolean().default(false),
  // Which masking profile ext_proc applies, by target and regions; the first match wins.
  masking: z.array(maskingRule).default([]),
  // Where upstream hosts are, for checking the region that actually answered (locality first).
  networks: z.array(network).default([]),
});

export const policyConfigSchema = policyShape.superRefine((policy, ctx) => {
  for (const problem of policyProblems(policy)) ctx.addIssue({ code: 'custom', path: [...problem.path], message: problem.message });
});

export type PolicyConfig = z.output<typeof policyShape>;
export type TargetConfig = PolicyConfig['targets'][number];
export type RuleConfig = PolicyConfig['rules'][number];
export type DefaultConfig = PolicyConfig['default'];
export type MaskingRuleConfig = PolicyConfig['masking'][number];
export type RuleOutcome = RuleConfig['outcome'];

/** Every masking profile the policy names, with its path under `policy`. */
export function policyProfileRefs(policy: PolicyConfig): Array<{ path: Array<string | number>; profile: string }> {
  const refs: Array<{ path: Array<string | number>; profile: string }> = [];
  policy.masking.forEach((r, i) => refs.push({ path: ['masking', i, 'profile'], profile: r.profile }));
  policy.rules.forEach((r, i) => {
    if (r.profile !== undefined) refs.push({ path: ['rules', i, 'profile'], profile: r.profile });
  });
  if (policy.default.profile !== undefined) refs.push({ path: ['default', 'profile'], profile: policy.default.profile });
  return refs;
}
