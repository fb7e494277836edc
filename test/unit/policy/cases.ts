// The policy's behaviour as a table: who asks (origin region), for what (a host/path the target
// table resolves, or a target pinned on the route), and what the policy must answer. The rules
// are in fixture.ts. The runner (cases.test.ts) checks every field: `code`, `rerouteTo`, `profile`
// and `intended` must be absent when a row leaves them out, `dryRun` is true exactly when the row
// has `intended`, and `wouldDeny` is false unless the row says otherwise.
import type { ErrorCode } from '../../../src/errors/catalog.js';
import type { MaskingChoice } from '../../../src/policy/masking-rules.js';
import type { IntendedOutcome, Outcome, RerouteTarget } from '../../../src/policy/types.js';
import type { PolicyVariant } from './fixture.js';

export interface PolicyCase {
  readonly name: string;
  readonly policy?: PolicyVariant;
  readonly from: string;
  /** "host/path" matched against the target table, or a target pinned on the route. */
  readonly to: string | { readonly route: string; readonly region?: string };
  readonly expect: {
    readonly outcome: Outcome | 'error';
    readonly rule?: string;
    readonly code?: ErrorCode;
    readonly target?: string;
    readonly rerouteTo?: RerouteTarget;
    readonly profile?: string;
    readonly masking?: MaskingChoice;
    readonly intended?: IntendedOutcome;
    readonly wouldDeny?: boolean;
  };
}

const NONE: MaskingChoice = { request: null, response: null };
const CROSS = 'RESIDENCY_CROSS_REGION' as const;
const APPROVAL = 'APPROVAL_REQUIRED' as const;

export const POLICY_CASES: readonly PolicyCase[] = [
  // Same region: the built-in rule, unless a rule naming both sides says otherwise.
  { name: 'same region, only wildcard rules match: same-region allows', from: 'us-east-1', to: 'docs.us.example.com/', expect: { outcome: 'allow', rule: 'same-region', target: 'docs-us', masking: NONE } },
  { name: 'same region, wildcard authority target', from: 'us-east-1', to: 'api.us.example.com/v1', expect: { outcome: 'allow', rule: 'same-region', target: 'analytics-us' } },
  { name: 'same region, unlabelled target', from: 'us-west-2', to: 'search.example.com/q', expect: { outcome: 'allow', rule: 'same-region', target: 'search-us' } },
  { name: 'same region covered by a jurisdiction rule: that rule decides', from: 'eu-west-1', to: 'crm.eu.example.com/', expect: { outcome: 'allow', rule: 'eu-within-eu', target: 'crm-eu', masking: { request: null, response: 'pii-basic' } } },
  { name: 'same region, explicit region-pair deny on a label beats the jurisdiction allow', from: 'eu-west-1', to: 'crm.eu.example.com/exports/all', expect: { outcome: 'deny', rule: 'bulk-stays-put', code: 'RESIDENCY_RULE_DENIED', target: 'crm-eu-exports', masking: NONE } },
  { name: 'the in-region deny names its origin region: from elsewhere in the EU it does not apply', from: 'eu-central-1', to: 'crm.eu.example.com/exports/x', expect: { outcome: 'allow', rule: 'eu-within-eu', target: 'crm-eu-exports' } },
  { name: "same region, a from: ap-south-1 to: '*' rule cannot overrule same-region", from: 'ap-south-1', to: 'hr.ap.example.com/', expect: { outcome: 'allow', rule: 'same-region', target: 'hr-ap', masking: NONE } },
  { name: 'same region, dry-run approval rule: passes, would be held', from: 'ap-south-1', to: 'status.example.com/', expect: { outcome: 'allow', rule: 'same-region', target: 'status-ap', intended: { rule: 'status-approval-trial', outcome: 'approval', code: APPROVAL }, wouldDeny: true } },
  { name: 'same region, explicit allow-masked rule on a label', from: 'eu-central-1', to: 'billing.eu.example.com/', expect: { outcome: 'allow-masked', rule: 'central-finance-masked', profile: 'pii-strict', target: 'billing-eu', masking: { request: 'pii-strict', response: null } } },
  { name: "same region to a reroute target: the '*' reroute rule does not apply", from: 'us-east-1', to: 'llm.example.com/v1/chat', expect: { outcome: 'allow', rule: 'same-region', target: 'llm', masking: { request: 'pii-strict', response: 'pii-strict' } } },
  { name: 'route pins the target into the caller region: same region', from: 'eu-west-1', to: { route: 'llm', region: 'eu-west-1' }, expect: { outcome: 'allow', rule: 'eu-within-eu', target: 'llm', masking: { request: 'pii-strict', response: 'pii-strict' } } },

  // Jurisdictions, and region pairs beating jurisdiction pairs.
  { name: 'region pair beats jurisdiction pair: west to central needs approval', from: 'eu-west-1', to: 'billing.eu.example.com/', expect: { outcome: 'approval', rule: 'west-to-central', code: APPROVAL, target: 'billing-eu', masking: NONE } },
  { name: 'within the eu jurisdiction, cross-region', from: 'eu-central-1', to: 'crm.eu.example.com/', expect: { outcome: 'allow', rule: 'eu-within-eu', masking: { request: null, response: 'pii-basic' } } },
  { name: 'eu to us, unlabelled target: approval', from: 'eu-central-1', to: 'search.example.com/', expect: { outcome: 'approval', rule: 'eu-to-us', code: APPROVAL, target: 'search-us' } },
  { name: 'eu-west to us-west: approval', from: 'eu-west-1', to: 'search.example.com/', expect: { outcome: 'approval', rule: 'eu-to-us', code: APPROVAL } },
  { name: 'us to eu: allow-masked with its profile on the request', from: 'us-west-2', to: 'crm.eu.example.com/', expect: { outcome: 'allow-masked', rule: 'us-to-eu-masked', profile: 'pii-basic', masking: { request: 'pii-basic', response: 'pii-basic' } } },
  { name: 'us-east to eu-west: allow-masked', from: 'us-east-1', to: 'crm.eu.example.com/api', expect: { outcome: 'allow-masked', rule: 'us-to-eu-masked', profile: 'pii-basic', target: 'crm-eu' } },
  { name: 'us-west to eu-central billing: the name rule is for us-east only', from: 'us-west-2', to: 'billing.eu.example.com/', expect: { outcome: 'allow-masked', rule: 'us-to-eu-masked', profile: 'pii-basic', masking: { request: 'pii-basic', response: null } } },

  // Labels, and labels beating "any target".
  { name: 'labels beat any-target: eu pii to us is denied, not held', from: 'eu-west-1', to: 'x.us.example.com/', expect: { outcome: 'deny', rule: 'eu-pii-to-us', code: CROSS, target: 'analytics-us', masking: NONE } },
  { name: 'eu-central pii to us denied', from: 'eu-central-1', to: 'api.us.example.com/', expect: { outcome: 'deny', rule: 'eu-pii-to-us', code: CROSS } },
  { name: 'labelled allow-masked from ap', from: 'ap-south-1', to: 'crm.eu.example.com/', expect: { outcome: 'allow-masked', rule: 'ap-pii-masked', profile: 'pii-strict', masking: { request: 'pii-strict', response: 'pii-basic' } } },
  { name: 'a label rule matches a target carrying more labels', from: 'ap-south-1', to: 'billing.eu.example.com/', expect: { outcome: 'allow-masked', rule: 'ap-pii-masked', profile: 'pii-strict' } },
  { name: 'ap pii to us: allow-masked', from: 'ap-south-1', to: 'api.us.example.com/', expect: { outcome: 'allow-masked', rule: 'ap-pii-masked', profile: 'pii-strict', target: 'analytics-us' } },
  { name: 'public data anywhere: ap to us', from: 'ap-south-1', to: 'docs.us.example.com/', expect: { outcome: 'allow', rule: 'public-anywhere', target: 'docs-us' } },
  { name: 'public data anywhere: us to ap', from: 'us-east-1', to: 'status.example.com/', expect: { outcome: 'allow', rule: 'public-anywhere', target: 'status-ap' } },
  { name: 'public data anywhere: eu to ap', from: 'eu-west-1', to: 'status.example.com/', expect: { outcome: 'allow', rule: 'public-anywhere' } },
  { name: 'labels beat a region-pair rule on any target', from: 'us-west-2', to: 'status.example.com/', expect: { outcome: 'allow', rule: 'public-anywhere' } },
  { name: 'ap to an unlabelled us target: no rule, default deny', from: 'ap-south-1', to: 'search.example.com/', expect: { outcome: 'deny', rule: 'default', code: CROSS, target: 'search-us' } },

  // Target by name beats labels and any-target.
  { name: 'name beats any-target: us-east to eu-central billing is denied', from: 'us-east-1', to: 'billing.eu.example.com/', expect: { outcome: 'deny', rule: 'no-billing-from-us-east', code: CROSS, target: 'billing-eu' } },
  { name: 'name beats labels: translate reroutes to the eu-central endpoint', from: 'eu-central-1', to: 'translate.example.com/', expect: { outcome: 'reroute', rule: 'translate-in-region', rerouteTo: { region: 'eu-central-1', routeKey: 'translate-eu' }, masking: NONE } },
  { name: 'reroute without an endpoint in the caller region: denied', from: 'eu-west-1', to: 'translate.example.com/', expect: { outcome: 'deny', rule: 'translate-in-region', code: 'REROUTE_UNAVAILABLE', target: 'translate', masking: NONE } },
  { name: 'us-east to translate: no us-to-us rule, default deny', from: 'us-east-1', to: 'translate.example.com/', expect: { outcome: 'deny', rule: 'default', code: CROSS } },

  // Reroute.
  { name: 'reroute to the in-region llm endpoint', from: 'eu-west-1', to: 'llm.example.com/v1/chat', expect: { outcome: 'reroute', rule: 'llm-in-region', target: 'llm', rerouteTo: { region: 'eu-west-1', routeKey: 'llm-eu-west' }, masking: { request: 'pii-strict', response: 'pii-strict' } } },
  { name: 'reroute: no eu-central endpoint', from: 'eu-central-1', to: 'llm.example.com/', expect: { outcome: 'deny', rule: 'llm-in-region', code: 'REROUTE_UNAVAILABLE' } },
  { name: 'reroute: no us-west endpoint', from: 'us-west-2', to: 'llm.example.com/', expect: { outcome: 'deny', rule: 'llm-in-region', code: 'REROUTE_UNAVAILABLE' } },
  { name: 'reroute: no ap endpoint', from: 'ap-south-1', to: 'llm.example.com/', expect: { outcome: 'deny', rule: 'llm-in-region', code: 'REROUTE_UNAVAILABLE' } },
  { name: 'reroute of a route-pinned table target: endpoints inherited', from: 'eu-west-1', to: { route: 'llm' }, expect: { outcome: 'reroute', rule: 'llm-in-region', target: 'llm', rerouteTo: { region: 'eu-west-1', routeKey: 'llm-eu-west' } } },
  { name: 'route pins the llm in its own region for a us-east caller', from: 'us-east-1', to: { route: 'llm', region: 'us-east-1' }, expect: { outcome: 'allow', rule: 'same-region' } },

  // Ties and route-pinned targets.
  { name: 'tie on specificity: the earlier rule in the file wins', from: 'us-west-2', to: 'batch.ap.example.com/', expect: { outcome: 'deny', rule: 'usw-to-ap-first', code: CROSS, target: 'batch-ap' } },
  { name: 'ad-hoc route target has no labels: any-target rule applies', from: 'eu-west-1', to: { route: 'reports', region: 'us-east-1' }, expect: { outcome: 'approval', rule: 'eu-to-us', code: APPROVAL, target: 'reports' } },
  { name: 'ad-hoc route target in the caller region', from: 'us-east-1', to: { route: 'reports', region: 'us-east-1' }, expect: { outcome: 'allow', rule: 'same-region', target: 'reports' } },
  { name: 'route region overrides the table, labels still inherited', from: 'eu-west-1', to: { route: 'docs-us', region: 'ap-south-1' }, expect: { outcome: 'allow', rule: 'public-anywhere', target: 'docs-us', intended: { rule: 'eu-docs-trial', outcome: 'deny', code: CROSS }, wouldDeny: true } },
  { name: 'unknown authority without default_target', from: 'eu-west-1', to: 'unknown.example.org/', expect: { outcome: 'error', code: 'TARGET_UNKNOWN' } },
  { name: 'route names an undeclared region', from: 'eu-west-1', to: { route: 'reports', region: 'mars-1' }, expect: { outcome: 'error', code: 'TARGET_UNKNOWN' } },

  // Dry run per rule: reported, never loosening what is enforced.
  { name: 'dry-run deny above an enforced allow: passes, would be denied', from: 'eu-west-1', to: 'docs.us.example.com/', expect: { outcome: 'allow', rule: 'public-anywhere', intended: { rule: 'eu-docs-trial', outcome: 'deny', code: CROSS }, wouldDeny: true } },
  { name: 'dry-run deny from eu-central too', from: 'eu-central-1', to: 'docs.us.example.com/', expect: { outcome: 'allow', rule: 'public-anywhere', intended: { rule: 'eu-docs-trial', outcome: 'deny', code: CROSS }, wouldDeny: true } },
  { name: 'dry-run deny above the default deny: still denied, wouldDeny false', from: 'eu-central-1', to: 'batch.ap.example.com/', expect: { outcome: 'deny', rule: 'default', code: CROSS, intended: { rule: 'central-to-ap-trial', outcome: 'deny', code: CROSS } } },
  { name: 'dry-run allow above the default deny: still denied', from: 'us-east-1', to: 'hr.ap.example.com/', expect: { outcome: 'deny', rule: 'default', code: CROSS, intended: { rule: 'hr-open-trial', outcome: 'allow' } } },
  { name: 'dry-run allow above an enforced rule deny: still denied', from: 'us-west-2', to: 'hr.ap.example.com/', expect: { outcome: 'deny', rule: 'usw-to-ap-first', code: CROSS, intended: { rule: 'hr-open-trial', outcome: 'allow' } } },
  { name: 'two dry-run rules match: the more specific one is reported', from: 'eu-central-1', to: 'hr.ap.example.com/', expect: { outcome: 'deny', rule: 'default', code: CROSS, intended: { rule: 'hr-open-trial', outcome: 'allow' } } },
  { name: 'no rule at all: default deny', from: 'eu-west-1', to: 'batch.ap.example.com/', expect: { outcome: 'deny', rule: 'default', code: CROSS } },
  { name: 'us-east to us-west: default deny', from: 'us-east-1', to: 'search.example.com/', expect: { outcome: 'deny', rule: 'default', code: CROSS } },
  { name: 'us-west to us-east public docs', from: 'us-west-2', to: 'docs.us.example.com/', expect: { outcome: 'allow', rule: 'public-anywhere' } },
  { name: 'us-east to ap, unlabelled: default deny', from: 'us-east-1', to: 'batch.ap.example.com/', expect: { outcome: 'deny', rule: 'default', code: CROSS } },

  // Global dry run: nothing is denied, every decision says what would be.
  { name: 'global dry run: a deny passes', policy: 'global-dry-run', from: 'eu-west-1', to: 'x.us.example.com/', expect: { outcome: 'allow', rule: 'default', intended: { rule: 'eu-pii-to-us', outcome: 'deny', code: CROSS }, wouldDeny: true } },
  { name: 'global dry run: an approval passes', policy: 'global-dry-run', from: 'eu-west-1', to: 'search.example.com/', expect: { outcome: 'allow', rule: 'default', intended: { rule: 'eu-to-us', outcome: 'approval', code: APPROVAL }, wouldDeny: true } },
  { name: 'global dry run: allow-masked is reported, not applied', policy: 'global-dry-run', from: 'us-east-1', to: 'crm.eu.example.com/', expect: { outcome: 'allow', rule: 'default', intended: { rule: 'us-to-eu-masked', outcome: 'allow-masked', profile: 'pii-basic' }, masking: { request: null, response: 'pii-basic' } } },
  { name: 'global dry run: an in-region deny passes', policy: 'global-dry-run', from: 'eu-west-1', to: 'crm.eu.example.com/exports/1', expect: { outcome: 'allow', rule: 'same-region', intended: { rule: 'bulk-stays-put', outcome: 'deny', code: 'RESIDENCY_RULE_DENIED' }, wouldDeny: true } },
  { name: 'global dry run: same region without a rule is not a dry run', policy: 'global-dry-run', from: 'us-east-1', to: 'docs.us.example.com/', expect: { outcome: 'allow', rule: 'same-region' } },
  { name: 'global dry run: the default deny passes', policy: 'global-dry-run', from: 'us-east-1', to: 'batch.ap.example.com/', expect: { outcome: 'allow', rule: 'default', intended: { rule: 'default', outcome: 'deny', code: CROSS }, wouldDeny: true } },
  { name: 'global dry run: a reroute without endpoint passes', policy: 'global-dry-run', from: 'eu-central-1', to: 'llm.example.com/', expect: { outcome: 'allow', rule: 'default', intended: { rule: 'llm-in-region', outcome: 'deny', code: 'REROUTE_UNAVAILABLE' }, wouldDeny: true } },
  { name: 'global dry run: a reroute is reported, not made', policy: 'global-dry-run', from: 'eu-west-1', to: 'llm.example.com/', expect: { outcome: 'allow', rule: 'default', intended: { rule: 'llm-in-region', outcome: 'reroute', rerouteTo: { region: 'eu-west-1', routeKey: 'llm-eu-west' } } } },
  { name: 'global dry run: the most specific rule is reported', policy: 'global-dry-run', from: 'eu-west-1', to: 'docs.us.example.com/', expect: { outcome: 'allow', rule: 'default', intended: { rule: 'eu-docs-trial', outcome: 'deny', code: CROSS }, wouldDeny: true } },

  // Other defaults.
  { name: 'default allow', policy: 'default-allow', from: 'us-east-1', to: 'batch.ap.example.com/', expect: { outcome: 'allow', rule: 'default' } },
  { name: 'default allow does not weaken rules', policy: 'default-allow', from: 'eu-west-1', to: 'x.us.example.com/', expect: { outcome: 'deny', rule: 'eu-pii-to-us', code: CROSS } },
  { name: 'default approval in dry run', policy: 'default-approval-dry', from: 'us-east-1', to: 'batch.ap.example.com/', expect: { outcome: 'allow', rule: 'default', intended: { rule: 'default', outcome: 'approval', code: APPROVAL }, wouldDeny: true } },
  { name: 'default in dry run below a dry-run rule: the rule is reported', policy: 'default-approval-dry', from: 'eu-central-1', to: 'batch.ap.example.com/', expect: { outcome: 'allow', rule: 'default', intended: { rule: 'central-to-ap-trial', outcome: 'deny', code: CROSS }, wouldDeny: true } },
  { name: 'default allow-masked', policy: 'default-masked', from: 'us-east-1', to: 'batch.ap.example.com/', expect: { outcome: 'allow-masked', rule: 'default', profile: 'pii-basic', masking: { request: 'pii-basic', response: null } } },
  { name: 'default_target in the caller jurisdiction', policy: 'default-target', from: 'eu-west-1', to: 'unknown.example.org/', expect: { outcome: 'allow', rule: 'eu-within-eu', target: 'internal' } },
  { name: 'default_target from the us: allow-masked', policy: 'default-target', from: 'us-east-1', to: 'unknown.example.org/', expect: { outcome: 'allow-masked', rule: 'us-to-eu-masked', profile: 'pii-basic', target: 'internal' } },
  { name: 'default_target from ap: default deny', policy: 'default-target', from: 'ap-south-1', to: 'unknown.example.org/', expect: { outcome: 'deny', rule: 'default', code: CROSS, target: 'internal' } },
];
