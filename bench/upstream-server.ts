// The upstream behind Envoy in the benchmark: reads and discards the request body and answers 200
// with a small JSON body, at once. A separate process, so that its CPU is neither the runner's nor
// a measured server's. (test/support/upstream.ts records every request and body: right for tests,
// not for millions of requests.)
// Run: npx tsx bench/upstream-server.ts   (prints "upstream serving 127.0.0.1:PORT")
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

const BODY = Buffer.from('{"ok":true,"service":"bench-upstream"}');
const server = createServer((req, res) => {
  req.on('data', () => undefined);
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': BODY.length });
    res.end(BODY);
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  console.log(`upstream serving 127.0.0.1:${(server.address() as AddressInfo).port}`);
});
const stop = (): void => {
  server.close(() => process.exit(0));
  server.closeAllConnections();
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
