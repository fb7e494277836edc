// A stand-in upstream for docker-compose.yml: answers every request with a JSON echo of what it
// received (after Envoy and residency-gate), so a demo shows what an upstream really gets: the
// x-residency-* headers Envoy added, and the request body as residency-gate left it (masked or not).
// Plain Node, no dependencies. Environment: UPSTREAM_NAME (default "upstream"), PORT (default 8080).
import { createServer } from 'node:http';
import process from 'node:process';

const name = process.env.UPSTREAM_NAME ?? 'upstream';
const port = Number(process.env.PORT ?? 8080);
const MAX_BODY = 1024 * 1024;

const server = createServer((req, res) => {
  const chunks = [];
  let size = 0;
  req.on('data', (chunk) => {
    size += chunk.length;
    if (size <= MAX_BODY) chunks.push(chunk);
  });
  req.on('end', () => {
    const residency = Object.fromEntries(Object.entries(req.headers).filter(([h]) => h.startsWith('x-residency-')));
    const answer = {
      upstream: name,
      method: req.method,
      path: req.url,
      request_id: req.headers['x-request-id'] ?? null,
      residency_headers: residency,
      body: Buffer.concat(chunks).toString('utf8'),
      body_truncated: size > MAX_BODY,
    };
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(`${JSON.stringify(answer, null, 2)}\n`);
  });
});

server.listen(port, '0.0.0.0', () => process.stdout.write(`${name}: echo on :${port}\n`));
for (const signal of ['SIGTERM', 'SIGINT']) {
  process.once(signal, () => {
    server.close(() => process.exit(0));
    server.closeAllConnections();
  });
}
