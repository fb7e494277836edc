// gRPC clients for the services residency-gate offers, as Envoy, a probe and grpcurl use them.
import { credentials, loadPackageDefinition, type GrpcObject, type ServiceClientConstructor } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { envoyGrpc } from '../../src/envoy/protos.js';
import { toStruct, type JsonObject } from '../../src/envoy/struct.js';
import type { AuthorizationClient } from '../../src/envoy/generated/envoy/service/auth/v3/Authorization.js';
import type { CheckRequest } from '../../src/envoy/generated/envoy/service/auth/v3/CheckRequest.js';
import type { CheckResponse__Output } from '../../src/envoy/generated/envoy/service/auth/v3/CheckResponse.js';

const require = createRequire(import.meta.url);

export function authorizationClient(address: string): AuthorizationClient {
  const Authorization = envoyGrpc().envoy.service.auth.v3.Authorization;
  return new Authorization(address, credentials.createInsecure());
}

export function checkOnce(client: AuthorizationClient, request: CheckRequest): Promise<CheckResponse__Output> {
  return new Promise((resolve, reject) => {
    client.Check(request, (err, response) => (err || !response ? reject(err ?? new Error('no response')) : resolve(response)));
  });
}

/** A CheckRequest shaped as Envoy 1.40 sends it for an HTTP/1.1 request. */
export function envoyCheckRequest(opts: {
  token?: string;
  authority: string;
  path?: string;
  method?: string;
  headers?: Record<string, string>;
  context?: Record<string, string>;
  requestId?: string;
  /** attributes.source.principal, as Envoy fills it from a client certificate's URI SAN under mTLS. */
  principal?: string;
  /** attributes.metadata_context.filter_metadata: namespace → object (e.g. envoy.filters.http.jwt_authn). */
  metadataContext?: Record<string, JsonObject>;
}): CheckRequest {
  const requestId = opts.requestId ?? 'req-1';
  const headers: Record<string, string> = {
    ':authority': opts.authority,
    ':method': opts.method ?? 'GET',
    ':path': opts.path ?? '/',
    ':scheme': 'http',
    'user-agent': 'curl/8.0',
    'x-forwarded-proto': 'http',
    'x-request-id': requestId,
    ...(opts.token !== undefined ? { authorization: `Bearer ${opts.token}` } : {}),
    ...opts.headers,
  };
  return {
    attributes: {
      source: { address: { socket_address: { address: '127.0.0.1', port_value: 50000 } }, ...(opts.principal !== undefined ? { principal: opts.principal } : {}) },
      destination: { address: { socket_address: { address: '127.0.0.1', port_value: 10000 } } },
      request: {
        time: { seconds: String(Math.floor(Date.now() / 1000)), nanos: 0 },
        http: { id: requestId, method: opts.method ?? 'GET', headers, path: opts.path ?? '/', host: opts.authority, scheme: 'http', protocol: 'HTTP/1.1' },
      },
      context_extensions: opts.context ?? {},
      ...(opts.metadataContext !== undefined
        ? { metadata_context: { filter_metadata: Object.fromEntries(Object.entries(opts.metadataContext).map(([ns, value]) => [ns, toStruct(value)])) } }
        : {}),
    },
  };
}

function loadFrom(file: string, includeDir: string): GrpcObject {
  return loadPackageDefinition(loadSync(file, { includeDirs: [includeDir], keepCase: true, enums: String, defaults: true, oneofs: true }));
}

export function healthClient(address: string) {
  const dir = join(dirname(require.resolve('grpc-health-check/package.json')), 'proto');
  const pkg = loadFrom('health/v1/health.proto', dir) as unknown as { grpc: { health: { v1: { Health: ServiceClientConstructor } } } };
  return new pkg.grpc.health.v1.Health(address, credentials.createInsecure());
}

export function reflectionClient(address: string) {
  const dir = join(dirname(require.resolve('@grpc/reflection/package.json')), 'build', 'proto');
  const pkg = loadFrom('grpc/reflection/v1/reflection.proto', dir) as unknown as {
    grpc: { reflection: { v1: { ServerReflection: ServiceClientConstructor } } };
  };
  return new pkg.grpc.reflection.v1.ServerReflection(address, credentials.createInsecure());
}
