// The floor for the direct Check benchmark: an envoy.service.auth.v3.Authorization server that
// does nothing but answer OK. Same grpc-js and the same Envoy proto definitions as residency-gate
// (src/envoy/protos.ts), so the difference between the two is what residency-gate does per Check.
// Run: npx tsx bench/null-authz.ts [HOST:PORT]   (default 127.0.0.1:0; prints "null-authz serving ADDRESS")
import { Server, ServerCredentials } from '@grpc/grpc-js';
import type { AuthorizationHandlers } from '../src/envoy/generated/envoy/service/auth/v3/Authorization.js';
import { envoyGrpc } from '../src/envoy/protos.js';

const listen = process.argv[2] ?? '127.0.0.1:0';
const grpc = envoyGrpc();
const server = new Server();
const handlers: AuthorizationHandlers = {
  Check: (_call, callback) => callback(null, { status: { code: 0 } }),
};
server.addService(grpc.envoy.service.auth.v3.Authorization.service, handlers);
server.bindAsync(listen, ServerCredentials.createInsecure(), (error, port) => {
  if (error) {
    console.error(`null-authz: ${error.message}`);
    process.exit(1);
  }
  console.log(`null-authz serving ${listen.slice(0, listen.lastIndexOf(':'))}:${port}`);
});
const stop = (): void => server.tryShutdown(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
