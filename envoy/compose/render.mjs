#!/usr/bin/env node
// Writes envoy/compose/envoy.yaml from envoy/envoy.yaml: the same file, comments included, with the
// three clusters pointed at docker-compose.yml's services (STRICT_DNS, Docker's DNS names) instead
// of 127.0.0.1 ports. Run it after changing envoy/envoy.yaml:
//
//   node envoy/compose/render.mjs          # rewrite envoy/compose/envoy.yaml
//   node envoy/compose/render.mjs --check  # exit 1 if it is out of date (test/unit/deploy does this)
import { readFileSync, writeFileSync } from 'node:fs';
import process from 'node:process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { isMap, isSeq, parseDocument } from 'yaml';

const SOURCE = fileURLToPath(new URL('../envoy.yaml', import.meta.url));
export const TARGET = fileURLToPath(new URL('./envoy.yaml', import.meta.url));

/** Cluster name in envoy.yaml -> [compose service, port it listens on]. */
export const COMPOSE_ENDPOINTS = {
  residency_gate: ['residency-gate', 9191],
  upstream_eu: ['upstream-eu', 8080],
  upstream_us: ['upstream-us', 8080],
};

const HEADER = `GENERATED from envoy/envoy.yaml by envoy/compose/render.mjs: do not edit, run the script.

envoy/envoy.yaml for docker-compose.yml: the same listener, filters and routes (read the comments
below); only the clusters differ. They name compose services, resolved by Docker's DNS (hence
STRICT_DNS), instead of 127.0.0.1 ports:
  residency_gate -> residency-gate:9191   upstream_eu -> upstream-eu:8080   upstream_us -> upstream-us:8080
The admin interface stays on the container's loopback (not published).`;

export function renderComposeEnvoy(source = readFileSync(SOURCE, 'utf8')) {
  const doc = parseDocument(source, { prettyErrors: true });
  if (doc.errors.length > 0) throw new Error(`envoy/envoy.yaml: ${doc.errors[0].message}`);
  doc.commentBefore = HEADER.split('\n').map((l) => (l === '' ? '' : ` ${l}`)).join('\n');
  const clusters = doc.getIn(['static_resources', 'clusters'], true);
  if (!isSeq(clusters)) throw new Error('envoy/envoy.yaml: static_resources.clusters is not a list');
  const seen = new Set();
  for (const cluster of clusters.items) {
    const name = isMap(cluster) ? cluster.get('name') : undefined;
    const endpoint = COMPOSE_ENDPOINTS[name];
    if (!endpoint) continue;
    seen.add(name);
    cluster.set('type', 'STRICT_DNS');
    const endpoints = cluster.getIn(['load_assignment', 'endpoints'], true);
    const lb = isSeq(endpoints) && endpoints.items.length === 1 ? endpoints.items[0].get('lb_endpoints', true) : undefined;
    if (!isSeq(lb) || lb.items.length !== 1) throw new Error(`envoy/envoy.yaml: cluster ${name} should have exactly one endpoint`);
    const socket = lb.items[0].getIn(['endpoint', 'address', 'socket_address'], true);
    if (!isMap(socket)) throw new Error(`envoy/envoy.yaml: cluster ${name}: no socket_address`);
    socket.set('address', endpoint[0]);
    socket.set('port_value', endpoint[1]);
  }
  const missing = Object.keys(COMPOSE_ENDPOINTS).filter((n) => !seen.has(n));
  if (missing.length > 0) throw new Error(`envoy/envoy.yaml: no cluster named ${missing.join(', ')}`);
  return doc.toString({ lineWidth: 0 });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const rendered = renderComposeEnvoy();
  if (process.argv.includes('--check')) {
    const current = readFileSync(TARGET, 'utf8');
    if (current !== rendered) {
      process.stderr.write('envoy/compose/envoy.yaml is out of date: run node envoy/compose/render.mjs\n');
      process.exit(1);
    }
  } else {
    writeFileSync(TARGET, rendered);
    process.stderr.write(`wrote ${TARGET}\n`);
  }
}
