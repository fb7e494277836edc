// `residency-gate lint-envoy`'s engine: takes a parsed Envoy bootstrap (static_resources) and
// returns what in it can move data across regions or let it through unchecked. Pure: no files, no
// Envoy; src/cli/lint-envoy.ts reads, prints and sets the exit code. docs/lint-envoy.md has the rules.
import { lintConnectionManager } from './filters.js';
import { isObject, obj } from './json.js';
import { lintClusters, lintRouteRegions, staticClusters, UnknownRegionUses } from './regions.js';
import { Report } from './report.js';
import { lintRouteTable } from './routes.js';
import { lintRuntime, runningExtProc } from './runtime.js';
import type { Finding, LintOptions } from './types.js';
import { connectionManagers, routeTable, type ConnectionManager, type HttpFilter } from './walk.js';

export { RULES, type Finding, type LintOptions, type LintPolicy, type RuleId, type Severity } from './types.js';
export { lintPolicyOf } from './policy.js';

/** The input is not an Envoy bootstrap at all (not a mapping, or neither static_resources nor dynamic_resources). */
export class NotABootstrapError extends Error {}

export function lintEnvoy(bootstrap: unknown, options: LintOptions = {}): Finding[] {
  if (!isObject(bootstrap)) throw new NotABootstrapError('not an Envoy bootstrap: the document is not a mapping');
  const dynamic = obj(bootstrap, 'dynamic_resources');
  if (obj(bootstrap, 'static_resources') === undefined && dynamic === undefined) {
    throw new NotABootstrapError('not an Envoy bootstrap: it has neither static_resources nor dynamic_resources');
  }
  const { policy } = options;
  const report = new Report();
  const clusters = staticClusters(bootstrap);
  const unknown = new UnknownRegionUses();
  let extProc: { filter: HttpFilter; cm: ConnectionManager } | undefined;
  for (const cm of connectionManagers(bootstrap)) {
    const table = routeTable(cm);
    const running = runningExtProc(cm, table);
    if (extProc === undefined && running !== undefined) extProc = { filter: running, cm };
    lintConnectionManager(cm, table, report, policy);
    if (table === undefined) continue;
    lintRouteTable(cm, table, report, policy);
    lintRouteRegions(table, clusters, unknown, report, policy);
  }
  lintClusters(clusters, report, policy);
  unknown.report(report);
  lintRuntime(bootstrap, extProc, report);
  for (const key of ['lds_config', 'cds_config'] as const) {
    if (obj(dynamic, key) === undefined) continue;
    const what = key === 'lds_config' ? 'listeners (and their filters and routes)' : 'clusters (and their endpoints and regions)';
    report.add('dynamic-resources-not-checked', ['dynamic_resources', key], `${what} come from xDS (${key}): not in this file, not checked`);
  }
  return report.findings;
}
