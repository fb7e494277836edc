// A policy with one rule per outcome, shared by the integration and end-to-end tests.

/** Targets crm-eu, analytics-us, docs-us and llm (endpoints llm-eu / llm-us); masking profile `pii`. */
export function outcomesPolicy(): Record<string, unknown> {
  return {
    regions: ['eu-west-1', 'us-east-1'],
    targets: [
      { name: 'crm-eu', region: 'eu-west-1', authority: 'crm.eu.example.com', labels: ['pii'] },
      { name: 'analytics-us', region: 'us-east-1', authority: 'analytics.us.example.com', labels: ['pii'] },
      { name: 'docs-us', region: 'us-east-1', authority: 'docs.us.example.com', labels: ['public'] },
      { name: 'llm', region: 'us-east-1', authority: 'llm.example.com', labels: ['llm'], endpoints: { 'eu-west-1': 'llm-eu', 'us-east-1': 'llm-us' } },
    ],
    rules: [
      { name: 'us-pii-to-eu-masked', from: 'us-east-1', to: 'eu-west-1', target: { labels: ['pii'] }, outcome: 'allow-masked', profile: 'pii' },
      { name: 'llm-in-region', from: '*', to: '*', target: { name: 'llm' }, outcome: 'reroute' },
      { name: 'public-anywhere', from: '*', to: '*', target: { labels: ['public'] }, outcome: 'allow' },
      { name: 'eu-to-us-analytics', from: 'eu-west-1', to: 'us-east-1', target: { name: 'analytics-us' }, outcome: 'approval' },
      { name: 'crm-lockdown-trial', from: 'eu-west-1', to: 'eu-west-1', target: { name: 'crm-eu' }, outcome: 'deny', dry_run: true },
    ],
    default: { outcome: 'deny' },
  };
}
