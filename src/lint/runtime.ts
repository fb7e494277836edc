// Rules on the bootstrap's runtime (layered_runtime): what Envoy does with ext_proc's gRPC stream
// once the HTTP exchange is over.
import { arr, isObject, obj, type Json, type Path } from './json.js';
import type { Report } from './report.js';
import type { ConnectionManager, HttpFilter, RouteTable } from './walk.js';

export const GRACEFUL_CLOSE_FLAG = 'envoy.reloadable_features.ext_proc_graceful_grpc_close';

/** An ext_proc filter that runs somewhere: enabled in http_filters, or disabled there but turned on by a route. */
export function runningExtProc(cm: ConnectionManager, table: RouteTable | undefined): HttpFilter | undefined {
  return cm.filters.find(
    (f) => f.kind === 'ext_proc' && (!f.disabled || (table?.allPerFilter.some((pf) => pf.key === f.name && !pf.disabled) ?? false)),
  );
}

/**
 * A runtime key's value in a static layer, and its path there: a flat key
 * ("envoy.reloadable_features.x") or nested maps (envoy: { reloadable_features: { x } }), since
 * Envoy joins nested keys with '.'.
 */
function valueIn(layer: Json | undefined, name: string): { value: Json; path: Path } | undefined {
  if (!isObject(layer)) return undefined;
  if (Object.hasOwn(layer, name)) return { value: layer[name]!, path: [name] };
  for (const [key, child] of Object.entries(layer)) {
    if (!name.startsWith(`${key}.`) || !isObject(child)) continue;
    const found = valueIn(child, name.slice(key.length + 1));
    if (found !== undefined) return { value: found.value, path: [key, ...found.path] };
  }
  return undefined;
}

/**
 * ext-proc-stream-resets: an ext_proc filter runs, but no static runtime layer turns on Envoy's
 * graceful close of the ext_proc stream. Layers apply in order, a later one overriding an earlier
 * one; disk, admin and RTDS layers cannot be read from the file and are ignored.
 */
export function lintRuntime(bootstrap: Json, extProc: { filter: HttpFilter; cm: ConnectionManager } | undefined, report: Report): void {
  if (extProc === undefined) return;
  const runtime = obj(bootstrap, 'layered_runtime');
  let setting: { value: Json; path: Path } | undefined;
  for (const [i, layer] of arr(runtime, 'layers').entries()) {
    const found = valueIn(obj(layer, 'static_layer'), GRACEFUL_CLOSE_FLAG);
    if (found === undefined) continue;
    setting = { value: found.value, path: ['layered_runtime', 'layers', i, 'static_layer', ...found.path] };
  }
  if (setting !== undefined && (setting.value === true || setting.value === 'true')) return;
  const what = `ext_proc "${extProc.filter.name}" (${extProc.cm.where})`;
  const effect =
    "Envoy resets every ext_proc stream (RST_STREAM) when its HTTP exchange ends; under sustained load the gRPC server's HTTP/2 stack answers the resets with GOAWAY, and the requests in flight on that connection fail with 403";
  if (setting !== undefined) {
    report.add('ext-proc-stream-resets', setting.path, `${what} runs, but the last static runtime layer that sets ${GRACEFUL_CLOSE_FLAG} sets it to ${JSON.stringify(setting.value)}: ${effect}; set it to true`);
    return;
  }
  const layer = `{ name: static, static_layer: { ${GRACEFUL_CLOSE_FLAG}: true } }`;
  if (runtime === undefined) {
    report.add('ext-proc-stream-resets', ['layered_runtime'], `${what} runs without ${GRACEFUL_CLOSE_FLAG}: ${effect}; add layered_runtime: { layers: [ ${layer} ] } (as in envoy/envoy.yaml)`);
  } else {
    report.add('ext-proc-stream-resets', ['layered_runtime', 'layers'], `${what} runs, but no static runtime layer sets ${GRACEFUL_CLOSE_FLAG}: ${effect}; add ${layer} to layered_runtime.layers`);
  }
}
