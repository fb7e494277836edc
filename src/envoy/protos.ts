// Loads Envoy's service definitions from the .proto files that @grpc/grpc-js-xds ships, once.
// This folder is the only place that knows Envoy's message types; see scripts/gen-envoy-types.mjs.
import { loadPackageDefinition } from '@grpc/grpc-js';
import { loadSync, type PackageDefinition } from '@grpc/proto-loader';
import { protoPath as healthProtoPath } from 'grpc-health-check';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { ProtoGrpcType as AuthGrpcType } from './generated/external_auth.js';
import type { ProtoGrpcType as ExtProcGrpcType } from './generated/external_processor.js';
import { packageRoot } from '../cli/package-root.js';

const require = createRequire(import.meta.url);
const depsDir = join(dirname(require.resolve('@grpc/grpc-js-xds/package.json')), 'deps');
// Reflection lists the services of the definition it is given, so its own proto goes in too.
const reflectionProtoPath = join(dirname(require.resolve('@grpc/reflection/package.json')), 'build/proto/grpc/reflection/v1/reflection.proto');

export const ENVOY_INCLUDE_DIRS = ['envoy-api', 'googleapis', 'protoc-gen-validate', 'xds'].map((d) => join(depsDir, d));
/** residency-gate's own services (protos/ in the package). */
export const OWN_PROTOS_DIR = join(packageRoot(), 'protos');
export const APPROVALS_PROTO = 'residency_gate/approvals/v1/approvals.proto';

// The same options the generated types were made with (scripts/gen-envoy-types.mjs).
const LOADER_OPTIONS = { keepCase: true, longs: String, enums: String, defaults: true, oneofs: true } as const;

let cached: PackageDefinition | undefined;

/** Every service this server offers (and only those), in one definition, so reflection describes them all. */
export function envoyPackageDefinition(): PackageDefinition {
  cached ??= loadSync(
    ['envoy/service/auth/v3/external_auth.proto', 'envoy/service/ext_proc/v3/external_processor.proto', APPROVALS_PROTO, healthProtoPath, reflectionProtoPath],
    { ...LOADER_OPTIONS, includeDirs: [...ENVOY_INCLUDE_DIRS, OWN_PROTOS_DIR] },
  );
  return cached;
}

export type EnvoyGrpc = AuthGrpcType & ExtProcGrpcType;

export function envoyGrpc(): EnvoyGrpc {
  return loadPackageDefinition(envoyPackageDefinition()) as unknown as EnvoyGrpc;
}
