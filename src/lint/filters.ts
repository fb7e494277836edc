// Rules on an HTTP connection manager and its HTTP filters: is every request decided (ext_authz),
// are bodies processed (ext_proc) in a mode that cannot leak, do both fail closed, in the right
// order, with the decision forwarded and the allow-masked guard behind them.
import { guardFilters } from './guard.js';
import { arr, at, isObject, isTrue, obj, str, type JsonObject, type Path } from './json.js';
import type { Report } from './report.js';
import type { LintPolicy } from './types.js';
import { EXT_AUTHZ_NAMESPACE, matchesRerouteHeader, rerouteKey, type ConnectionManager, type HttpFilter, type RouteTable } from './walk.js';

export function lintConnectionManager(cm: ConnectionManager, table: RouteTable | undefined, report: Report, policy: LintPolicy | undefined): void {
  const { hcm, path } = cm;

  if (isTrue(hcm, 'preserve_external_request_id')) {
    report.add(
      'request-id-from-client',
      [...path, 'preserve_external_request_id'],
      `${cm.where} keeps a client-sent x-request-id: the client chooses the id residency-gate quotes in its audit records (and can reuse another request's)`,
    );
  }
  if (hcm.generate_request_id === false || hcm.generate_request_id === 'false') {
    report.add(
      'request-id-from-client',
      [...path, 'generate_request_id'],
      `${cm.where} does not generate x-request-id: a client-sent one reaches residency-gate unchanged and ties the audit records`,
    );
  }
  if (obj(hcm, 'rds') !== undefined) {
    const name = str(obj(hcm, 'rds'), 'route_config_name');
    report.add('rds-not-checked', [...path, 'rds'], `${cm.where} takes its routes from RDS${name ? ` ("${name}")` : ''}: their per-route settings, context_extensions and headers are not checked`);
  }
  if (obj(hcm, 'scoped_routes') !== undefined) {
    report.add('rds-not-checked', [...path, 'scoped_routes'], `${cm.where} takes its routes from scoped RDS: their per-route settings, context_extensions and headers are not checked`);
  }

  const authz = cm.filters.filter((f) => f.kind === 'ext_authz');
  const proc = cm.filters.filter((f) => f.kind === 'ext_proc');
  const enabledAuthz = authz.filter((f) => !f.disabled);
  const enabledProc = proc.filter((f) => !f.disabled);
  const guards = guardFilters(cm);
  const guarded = guards.effective.length > 0;

  for (const f of authz) lintExtAuthz(f, report);
  for (const f of proc) lintExtProc(f.config, f.configPath, `ext_proc "${f.name}"`, report);

  if (enabledAuthz.length === 0) {
    const off = authz[0];
    if (off !== undefined) {
      report.add('ext-authz-missing', [...off.path, 'disabled'], `ext_authz "${off.name}" is disabled by default (disabled: true): requests on routes that do not turn it on reach their upstream without a residency decision`);
    } else {
      report.add('ext-authz-missing', [...path, 'http_filters'], `${cm.where} has no ext_authz filter: requests reach their upstream without a residency decision`);
    }
  } else {
    for (const f of enabledAuthz) {
      if (f.config !== undefined && !namesService(f.config)) {
        report.add('ext-authz-missing', f.configPath, `ext_authz "${f.name}" names no service to ask (grpc_service.envoy_grpc.cluster_name, grpc_service.google_grpc or http_service.server_uri.cluster)`);
      }
    }
  }

  if (enabledProc.length === 0) {
    const severity = !guarded && policy?.allowMasked ? 'error' : 'warning';
    const guardNote = guarded
      ? 'the rbac guard refuses allow-masked decisions'
      : policy?.allowMasked
        ? "and no rbac guard refuses allow-masked decisions, which the policy makes: that data would leave unmasked"
        : 'without an rbac guard, allow-masked decisions would pass unmasked';
    const off = proc[0];
    if (off !== undefined) {
      report.add('ext-proc-missing', [...off.path, 'disabled'], `ext_proc "${off.name}" is disabled by default (disabled: true): where a route does not turn it on, bodies are neither hashed nor masked; ${guardNote}`, severity);
    } else {
      report.add('ext-proc-missing', [...path, 'http_filters'], `${cm.where} has no ext_proc filter: bodies are neither hashed nor masked (policy.masking has no effect); ${guardNote}`, severity);
    }
  }

  const firstAuthz = enabledAuthz[0];
  const firstProc = enabledProc[0];
  if (firstAuthz !== undefined && firstProc !== undefined && firstProc.index < firstAuthz.index) {
    report.add(
      'ext-proc-before-ext-authz',
      firstProc.path,
      `ext_proc "${firstProc.name}" (http_filters[${firstProc.index}]) runs before ext_authz "${firstAuthz.name}" (http_filters[${firstAuthz.index}]): it reads a decision that has not been made yet`,
    );
  }

  for (const g of guards.tooEarly) {
    if (firstAuthz === undefined) continue;
    report.add('rbac-guard-missing', g.path, `the rbac guard "${g.name}" runs before ext_authz: the decision is not in the metadata yet, so it never refuses an allow-masked request`);
  }
  if (!guarded && enabledProc.length > 0 && guards.tooEarly.length === 0) {
    report.add(
      'rbac-guard-missing',
      [...path, 'http_filters'],
      `${cm.where} has no rbac filter denying ext_authz residency.decision allow-masked where ext_proc did not mask (envoy/envoy.yaml): a route that ever runs without ext_proc lets allow-masked data leave unmasked`,
    );
  }

  if (table?.routes.some((r) => matchesRerouteHeader(r.route))) {
    for (const f of enabledAuthz) {
      if (f.config === undefined || isTrue(f.config, 'clear_route_cache')) continue;
      report.add(
        'clear-route-cache-missing',
        [...f.configPath, 'clear_route_cache'],
        `routes match x-residency-route (reroute endpoints), but ext_authz "${f.name}" does not set clear_route_cache: true: after a reroute decision Envoy keeps the route it chose before, and the request goes to the target's home region instead of the caller's`,
      );
    }
  }
  if (table !== undefined && policy !== undefined) {
    const matched = new Set(table.routes.map((r) => rerouteKey(r.route)).filter((k) => k !== undefined));
    const missing = policy.rerouteKeys.filter((k) => !matched.has(k.key));
    if (missing.length > 0) {
      report.add(
        'reroute-route-missing',
        [...table.path, 'virtual_hosts'],
        `the policy reroutes to ${missing.map((k) => `${k.key} (target ${k.target}, ${k.region})`).join(', ')}, but no route of ${cm.where} matches x-residency-route with ${missing.length === 1 ? 'that key' : 'these keys'}: such requests go wherever the route chosen before the decision sends them`,
      );
    }
  }
}

function namesService(config: JsonObject): boolean {
  const grpc = obj(config, 'grpc_service');
  return (
    str(obj(grpc, 'envoy_grpc'), 'cluster_name') !== undefined ||
    obj(grpc, 'google_grpc') !== undefined ||
    str(at(config, 'http_service', 'server_uri'), 'cluster') !== undefined
  );
}

// HTTP status codes by their StatusCode enum names, for the ones below 400.
const SUCCESS_NAMES: Readonly<Record<string, number>> = {
  Continue: 100, OK: 200, Created: 201, Accepted: 202, NonAuthoritativeInformation: 203, NoContent: 204, ResetContent: 205,
  PartialContent: 206, MultiStatus: 207, AlreadyReported: 208, IMUsed: 226, MultipleChoices: 300, MovedPermanently: 301,
  Found: 302, SeeOther: 303, NotModified: 304, UseProxy: 305, TemporaryRedirect: 307, PermanentRedirect: 308,
};

function lintStatusOnError(config: JsonObject, configPath: Path, label: string, report: Report): void {
  const code = at(config, 'status_on_error', 'code');
  const status = typeof code === 'number' ? code : typeof code === 'string' ? (SUCCESS_NAMES[code] ?? Number(code)) : NaN;
  // 0 (Empty) means Envoy's default: 403 for ext_authz, 500 for ext_proc.
  if (Number.isInteger(status) && status > 0 && status < 400) {
    report.add('status-on-error', [...configPath, 'status_on_error', 'code'], `${label} answers ${status} when residency-gate cannot be asked: a check that failed looks like ${status < 300 ? 'a success' : 'a redirect'} to the client`);
  }
}

function lintExtAuthz(f: HttpFilter, report: Report): void {
  const config = f.config;
  if (config === undefined) return;
  const label = `ext_authz "${f.name}"`;
  if (isTrue(config, 'failure_mode_allow')) {
    report.add('failure-mode-allow', [...f.configPath, 'failure_mode_allow'], `${label} fails open: when residency-gate is down, slow or errs, requests pass without a residency decision`);
  }
  const denyAtDisable = at(config, 'deny_at_disable', 'default_value') === true;
  if (!denyAtDisable) {
    const enabled = obj(config, 'filter_enabled');
    if (enabled !== undefined) {
      const fraction = obj(enabled, 'default_value');
      const share = fraction === undefined ? '' : ` (default ${String(fraction.numerator ?? 0)}/${String(fraction.denominator ?? 'HUNDRED').toLowerCase()})`;
      const key = str(enabled, 'runtime_key');
      report.add(
        'filter-enabled-fraction',
        [...f.configPath, 'filter_enabled'],
        `${label} runs only for the runtime fraction filter_enabled${share}${key ? `, runtime key "${key}"` : ''}, without deny_at_disable: the requests it skips pass without a residency decision`,
      );
    }
    if (obj(config, 'filter_enabled_metadata') !== undefined) {
      report.add(
        'filter-enabled-fraction',
        [...f.configPath, 'filter_enabled_metadata'],
        `${label} runs only where filter_enabled_metadata matches, without deny_at_disable: the requests it skips pass without a residency decision`,
      );
    }
  }
  lintStatusOnError(config, f.configPath, label, report);
}

/** ExternalProcessor, or the `overrides` of an ExtProcPerRoute (which replace processing_mode and metadata_options whole). */
export function lintExtProc(config: JsonObject | undefined, configPath: Path, label: string, report: Report, override = false): void {
  if (config === undefined) return;
  if (isTrue(config, 'failure_mode_allow')) {
    report.add('failure-mode-allow', [...configPath, 'failure_mode_allow'], `${label} fails open: when residency-gate is down or errs mid-stream, bodies pass unmasked and unhashed`);
  }
  if (isTrue(config, 'observability_mode')) {
    report.add('observability-mode', [...configPath, 'observability_mode'], `${label} is in observability_mode: Envoy ignores residency-gate's answers, so nothing is masked and no block is enforced`);
  }
  if (!override) lintStatusOnError(config, configPath, label, report);
  if (!override || config.processing_mode !== undefined) lintProcessingMode(config, [...configPath, 'processing_mode'], label, report);
  if (!override || config.metadata_options !== undefined) {
    const namespaces = at(config, 'metadata_options', 'forwarding_namespaces');
    const untyped = arr(namespaces, 'untyped');
    if (!untyped.includes(EXT_AUTHZ_NAMESPACE)) {
      const typed = arr(namespaces, 'typed').includes(EXT_AUTHZ_NAMESPACE) ? ' (it is listed under typed; residency-gate reads untyped)' : '';
      report.add(
        'ext-proc-no-metadata',
        [...configPath, 'metadata_options', 'forwarding_namespaces', 'untyped'],
        `${label} does not forward the ${EXT_AUTHZ_NAMESPACE} metadata namespace${typed}: residency-gate cannot see the decision and refuses every request (DECISION_MISSING)`,
      );
    }
  }
}

function lintProcessingMode(config: JsonObject, modePath: Path, label: string, report: Report): void {
  const mode = config.processing_mode;
  for (const direction of ['request', 'response'] as const) {
    const key = `${direction}_body_mode`;
    const value = isObject(mode) ? mode[key] : undefined;
    if (value === 'BUFFERED_PARTIAL' || value === 3) {
      report.add('buffered-partial', [...modePath, key], `${label} sends ${direction} bodies BUFFERED_PARTIAL: what exceeds the buffer passes on unprocessed (unmasked, unhashed); use STREAMED or BUFFERED`);
    } else if (value === undefined || value === 'NONE' || value === 0) {
      const how = value === undefined ? `no ${key} (NONE by default)` : `${key} NONE`;
      report.add('body-mode-none', [...modePath, key], `${label} has ${how}: ${direction} bodies never reach residency-gate and pass unmasked and unhashed, whatever the decision's masking profile; use STREAMED or BUFFERED`);
    }
  }
}
