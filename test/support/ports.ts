// A TCP port that was free a moment ago on 127.0.0.1. There is a window between closing the probe
// socket and the real owner binding it; where a component can bind port 0 itself (node servers,
// Envoy listeners and admin via test/support/envoy.ts), prefer that.
import { createServer } from 'node:net';

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port: 0, exclusive: true }, () => {
      const address = server.address();
      if (address === null || typeof address === 'string') {
        server.close();
        reject(new Error('freePort: server has no TCP address'));
        return;
      }
      const { port } = address;
      server.close((error) => (error ? reject(error) : resolve(port)));
    });
  });
}
