// The policy the case table (cases.ts) runs against, as an operator would write it, and the
// variants some cases need. Parsed by the real schema, so the fixture is itself valid config.
import { policyConfigSchema, type PolicyConfig } from '../../../src/policy/config.js';

export const RAW_POLICY = {
  regions: ['eu-west-1', 'eu-central-1', 'us-east-1', 'us-west-2', 'ap-south-1'],
  jurisdictions: { eu: ['eu-west-1', 'eu-central-1'], us: ['us-east-1', 'us-west-2'] },
  targets: [
    { name: 'crm-eu', region: 'eu-west-1', authority: 'crm.eu.example.com', labels: ['pii'] },
    { name: 'crm-eu-exports', region: 'eu-west-1', authority: 'crm.eu.example.com', path_prefix: '/exports/', labels: ['pii', 'bulk'] },
    { name: 'billing-eu', region: 'eu-central-1', authority: 'billing.eu.example.com', labels: ['pii', 'finance'] },
    { name: 'docs-us', region: 'us-east-1', authority: 'docs.us.example.com', labels: ['public'] },
    { name: 'analytics-us', region: 'us-east-1', authority: '*.us.example.com', labels: ['pii'] },
    { name: 'search-us', region: 'us-west-2', authority: 'search.example.com' },
    { name: 'llm', region: 'us-east-1', authority: 'llm.example.com', labels: ['llm'], endpoints: { 'eu-west-1': 'llm-eu-west', 'us-east-1': 'llm-us-east' } },
    { name: 'translate', region: 'us-west-2', authority: 'translate.example.com', labels: ['llm', 'pii'], endpoints: { 'eu-central-1': 'translate-eu' } },
    { name: 'status-ap', region: 'ap-south-1', authority: 'status.example.com', labels: ['public'] },
    { name: 'hr-ap', region: 'ap-south-1', authority: 'hr.ap.example.com', labels: ['pii'] },
    { name: 'batch-ap', region: 'ap-south-1', authority: 'batch.ap.example.com' },
  ],
  rules: [
    { name: 'public-anywhere', from: '*', to: '*', target: { labels: ['public'] }, outcome: 'allow' },
    { name: 'eu-within-eu', from: 'eu', to: 'eu', outcome: 'allow' },
    { name: 'west-to-central', from: 'eu-west-1', to: 'eu-central-1', outcome: 'approval' },
    { name: 'eu-pii-to-us', from: 'eu', to: 'us', target: { labels: ['pii'] }, outcome: 'deny' },
    { name: 'eu-to-us', from: 'eu', to: 'us', outcome: 'approval' },
    { name: 'llm-in-region', from: '*', to: '*', target: { name: 'llm' }, outcome: 'reroute' },
    { name: 'translate-in-region', from: 'eu', to: 'us', target: { name: 'translate' }, outcome: 'reroute' },
    { name: 'us-to-eu-masked', from: 'us', to: 'eu', outcome: 'allow-masked', profile: 'pii-basic' },
    { name: 'no-billing-from-us-east', from: 'us-east-1', to: 'eu-central-1', target: { name: 'billing-eu' }, outcome: 'deny' },
    { name: 'bulk-stays-put', from: 'eu-west-1', to: 'eu-west-1', target: { labels: ['bulk'] }, outcome: 'deny' },
    { name: 'ap-pii-masked', from: 'ap-south-1', to: '*', target: { labels: ['pii'] }, outcome: 'allow-masked', profile: 'pii-strict' },
    { name: 'eu-docs-trial', from: 'eu', to: '*', target: { name: 'docs-us' }, outcome: 'deny', dry_run: true },
    { name: 'status-approval-trial', from: 'ap-south-1', to: 'ap-south-1', target: { name: 'status-ap' }, outcome: 'approval', dry_run: true },
    { name: 'central-to-ap-trial', from: 'eu-central-1', to: 'ap-south-1', outcome: 'deny', dry_run: true },
    { name: 'usw-to-ap-first', from: 'us-west-2', to: 'ap-south-1', outcome: 'deny' },
    { name: 'usw-to-ap-second', from: 'us-west-2', to: 'ap-south-1', outcome: 'allow' },
    { name: 'hr-open-trial', from: '*', to: '*', target: { name: 'hr-ap' }, outcome: 'allow', dry_run: true },
    { name: 'central-finance-masked', from: 'eu-central-1', to: 'eu-central-1', target: { labels: ['finance'] }, outcome: 'allow-masked', profile: 'pii-strict' },
  ],
  default: { outcome: 'deny' },
  masking: [
    { profile: 'pii-basic', targets: ['crm-eu'], directions: ['response'] },
    { profile: 'pii-strict', targets: ['llm'] },
  ],
};

/** The masking profiles the fixture names, for tests that validate it as a whole config. */
export const FIXTURE_PROFILES = ['pii-basic', 'pii-strict'] as const;

const parse = (overrides: Record<string, unknown> = {}): PolicyConfig => policyConfigSchema.parse({ ...RAW_POLICY, ...overrides });

export const POLICIES = {
  main: parse(),
  'global-dry-run': parse({ dry_run: true }),
  'default-allow': parse({ default: { outcome: 'allow' } }),
  'default-approval-dry': parse({ default: { outcome: 'approval', dry_run: true } }),
  'default-masked': parse({ default: { outcome: 'allow-masked', profile: 'pii-basic' } }),
  'default-target': parse({ default_target: { name: 'internal', region: 'eu-west-1' } }),
} satisfies Record<string, PolicyConfig>;

export type PolicyVariant = keyof typeof POLICIES;
