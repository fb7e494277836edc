// Envoy's own account of what went wrong during a run: the counters that say why a request failed
// (ext_authz error or deny, ext_proc stream failure or message timeout, RBAC deny) and what
// happened on the connections to residency-gate (HTTP/2 protocol errors, GOAWAY, resets). A 403 in
// fortio's counts is any of these; this tells them apart.
import type { RunningEnvoy } from '../../test/support/envoy.js';

const WATCHED = new RegExp(
  [
    String.raw`cluster\.residency_gate\.(upstream_cx_protocol_error|upstream_cx_destroy_remote_with_active_rq|upstream_rq_tx_reset|upstream_rq_rx_reset|upstream_rq_5xx|upstream_rq_timeout|upstream_rq_pending_overflow)`,
    String.raw`http\.ingress_http\.ext_authz\.(error|denied|failure_mode_allowed)`,
    String.raw`http\.ingress_http\.ext_proc\.(streams_failed|message_timeouts|failure_mode_allowed|spurious_msgs_received)`,
    String.raw`http\.ingress_http\.rbac\.denied`,
  ].join('|'),
);

export type Counters = Record<string, number>;

/** The watched counters now; none if the admin interface does not answer. */
export async function envoyCounters(envoy: RunningEnvoy): Promise<Counters> {
  const text = await envoy.admin('/stats').catch(() => '');
  const out: Counters = {};
  for (const line of text.split('\n')) {
    const m = /^([\w.]+): (\d+)$/.exec(line);
    if (m && WATCHED.test(m[1]!)) out[m[1]!] = Number(m[2]);
  }
  return out;
}

/** What rose between two readings (counters that stayed put are left out). */
export function counterDelta(before: Counters, after: Counters): Counters {
  const out: Counters = {};
  for (const [name, value] of Object.entries(after)) {
    const d = value - (before[name] ?? 0);
    if (d > 0) out[name.replace(/^(cluster\.|http\.ingress_http\.)/, '')] = d;
  }
  return out;
}
