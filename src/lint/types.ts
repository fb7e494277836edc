// What `residency-gate lint-envoy` reports, and the rule catalogue (ids, default severity, one-line
// summary). docs/lint-envoy.md explains every rule; a unit test keeps the two in step.

export type Severity = 'error' | 'warning';

export const RULES = {
  'failure-mode-allow': { severity: 'error', summary: 'ext_authz or ext_proc lets requests through when residency-gate cannot be asked' },
  'ext-authz-missing': { severity: 'error', summary: 'an HTTP connection manager without an enabled ext_authz filter that names its service' },
  'ext-proc-missing': { severity: 'warning', summary: 'an HTTP connection manager without an enabled ext_proc filter: no body is hashed or masked' },
  'ext-proc-before-ext-authz': { severity: 'error', summary: 'ext_proc runs before ext_authz, whose decision it reads' },
  'ext-proc-no-metadata': { severity: 'error', summary: 'ext_proc does not forward the envoy.filters.http.ext_authz metadata namespace' },
  'buffered-partial': { severity: 'error', summary: 'ext_proc BUFFERED_PARTIAL body mode: what exceeds the buffer passes unprocessed' },
  'body-mode-none': { severity: 'error', summary: 'ext_proc does not send a body (mode NONE or left out): it passes unmasked and unhashed' },
  'observability-mode': { severity: 'error', summary: 'ext_proc observability_mode: every mutation (masking) is ignored' },
  'ext-proc-stream-resets': { severity: 'warning', summary: 'ext_proc runs without ext_proc_graceful_grpc_close: Envoy resets every stream, and under load the gRPC server answers with GOAWAY' },
  'filter-enabled-fraction': { severity: 'error', summary: 'ext_authz filter_enabled / filter_enabled_metadata without deny_at_disable' },
  'status-on-error': { severity: 'error', summary: 'status_on_error below 400: a failed check looks like a success or a redirect' },
  'per-route-disabled': { severity: 'error', summary: 'a route, virtual host or route table switches ext_authz (error) or ext_proc (warning) off' },
  'rbac-guard-missing': { severity: 'warning', summary: 'no RBAC DENY guard refusing allow-masked decisions where ext_proc did not mask' },
  'clear-route-cache-missing': { severity: 'error', summary: 'routes match x-residency-route but ext_authz does not clear the route cache' },
  'reroute-route-missing': { severity: 'warning', summary: 'the policy reroutes to a route key that no route matches (x-residency-route)' },
  'cross-region-cluster': { severity: 'error', summary: 'a cluster load-balances across endpoints in more than one region' },
  'locality-failover': { severity: 'error', summary: 'a cluster fails over (priorities, aggregate cluster) into another region' },
  'cluster-region-unknown': { severity: 'warning', summary: 'a cluster that residency-pinned routes use has endpoints without a known region' },
  'route-region-mismatch': { severity: 'error', summary: 'a route pins one residency region and sends to a cluster in another' },
  'request-id-from-client': { severity: 'warning', summary: 'the client can choose the x-request-id that ties audit records together' },
  'x-residency-header-from-route': { severity: 'error', summary: 'the route table sets an x-residency-* header that only residency-gate may set' },
  'rds-not-checked': { severity: 'warning', summary: 'routes come from RDS (or scoped RDS): not in this file, not checked' },
  'dynamic-resources-not-checked': { severity: 'warning', summary: 'listeners or clusters come from xDS: not in this file, not checked' },
} as const satisfies Record<string, { severity: Severity; summary: string }>;

export type RuleId = keyof typeof RULES;

export interface Finding {
  readonly rule: RuleId;
  readonly severity: Severity;
  /** Where in the bootstrap, e.g. static_resources.listeners[0].filter_chains[0].filters[0].typed_config.rds */
  readonly path: string;
  readonly message: string;
}

/**
 * The parts of a residency-gate policy (src/policy/config.ts) the lint uses. Build it with
 * lintPolicyOf(config.policy).
 */
export interface LintPolicy {
  /** policy.regions: every region a locality may name. */
  readonly regions: readonly string[];
  /** policy.targets (and default_target): a route pinning only residency.target gets its region here. */
  readonly targets: ReadonlyArray<{ readonly name: string; readonly region: string; readonly endpoints?: Readonly<Record<string, string>> | undefined }>;
  /** An enforced rule or the default can decide allow-masked (data may leave only masked). */
  readonly allowMasked: boolean;
  /** Route keys enforced reroute rules can send a caller to (the selected targets' endpoints). */
  readonly rerouteKeys: ReadonlyArray<{ readonly target: string; readonly region: string; readonly key: string }>;
}

export interface LintOptions {
  readonly policy?: LintPolicy | undefined;
}
