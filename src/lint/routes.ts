// Rules on an inline route table: per-filter configs that switch ext_authz / ext_proc off or change
// how ext_proc sees bodies, and headers the route table sets that only residency-gate may set.
import { lintExtProc } from './filters.js';
import { guardApplies, guardFilters } from './guard.js';
import { arr, isObject, obj, str, type Json, type Path } from './json.js';
import type { Report } from './report.js';
import type { LintPolicy } from './types.js';
import type { ConnectionManager, PerFilterConfig, RouteTable } from './walk.js';

export function lintRouteTable(cm: ConnectionManager, table: RouteTable, report: Report, policy: LintPolicy | undefined): void {
  const guards = guardFilters(cm).effective;
  for (const pf of table.allPerFilter) {
    if (pf.kind === 'ext_authz' && pf.disabled) {
      report.add('per-route-disabled', pf.disabledPath, `${pf.where} switches ext_authz off: requests there reach their upstream without a residency decision`);
    }
    if (pf.kind === 'ext_proc') {
      if (pf.disabled) lintExtProcDisabled(pf, table, guards.length > 0 ? (p) => guardApplies(guards, p) : () => false, report, policy);
      const overrides = obj(pf.config, 'overrides');
      if (overrides !== undefined) lintExtProc(overrides, [...pf.configPath, 'overrides'], `${pf.where}: ext_proc overrides`, report, true);
    }
  }
  lintResidencyHeaders(cm, table, report);
}

function lintExtProcDisabled(
  pf: PerFilterConfig,
  table: RouteTable,
  guardedUnder: (perFilter: readonly PerFilterConfig[]) => boolean,
  report: Report,
  policy: LintPolicy | undefined,
): void {
  // Every route (and weighted cluster) this per-filter config applies to must still have the guard.
  const affected: Array<readonly PerFilterConfig[]> = [];
  for (const r of table.routes) {
    const routeLevel = r.perFilter.includes(pf);
    if (routeLevel) affected.push(r.perFilter);
    for (const t of r.targets) {
      if (t.perFilter.length > 0 && (routeLevel || t.perFilter.includes(pf))) affected.push([...r.perFilter, ...t.perFilter]);
    }
  }
  const guarded = affected.length > 0 && affected.every(guardedUnder);
  if (guarded) {
    report.add(
      'per-route-disabled',
      pf.disabledPath,
      `${pf.where} switches ext_proc off: bodies there pass unmasked and unhashed, and allow-masked decisions rely on the rbac guard to be refused`,
      'warning',
    );
    return;
  }
  report.add(
    'per-route-disabled',
    pf.disabledPath,
    `${pf.where} switches ext_proc off and no rbac guard refuses allow-masked decisions there: data allowed out only masked would leave unmasked${policy?.allowMasked ? ' (the policy makes allow-masked decisions)' : ''}`,
    policy?.allowMasked ? 'error' : 'warning',
  );
}

function lintResidencyHeaders(cm: ConnectionManager, table: RouteTable, report: Report): void {
  const check = (holder: Json | undefined, holderPath: Path, where: string): void => {
    arr(holder, 'request_headers_to_add').forEach((entry, i) => {
      const key = str(obj(entry, 'header'), 'key');
      if (key === undefined || !/^x-residency-/i.test(key)) return;
      report.add(
        'x-residency-header-from-route',
        [...holderPath, 'request_headers_to_add', i, 'header', 'key'],
        `${where} adds request header "${key}": x-residency-* headers are trusted as residency-gate's own, and Envoy's router adds this one after the decision`,
      );
    });
  };
  check(table.config, table.path, `the route table of ${cm.where}`);
  for (const { vhost, path } of table.virtualHosts) check(vhost, path, `virtual host "${str(vhost, 'name') ?? '?'}"`);
  for (const r of table.routes) {
    check(r.route, r.path, r.where);
    arr(obj(obj(r.route, 'route'), 'weighted_clusters'), 'clusters').forEach((wc, w) => {
      if (isObject(wc)) check(wc, [...r.path, 'route', 'weighted_clusters', 'clusters', w], `weighted cluster ${w} of ${r.where}`);
    });
  }
}
