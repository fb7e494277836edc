#!/usr/bin/env node
// Generates TypeScript types for the Envoy services we implement, from the .proto files that
// @grpc/grpc-js-xds ships. The output is not committed (it carries Envoy's own comments); `npm ci`
// runs this through the `prepare` script.
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const deps = join(dirname(require.resolve('@grpc/grpc-js-xds/package.json')), 'deps');
const out = join(root, 'src/envoy/generated');
const bin = join(dirname(require.resolve('@grpc/proto-loader/package.json')), 'build/bin/proto-loader-gen-types.js');

rmSync(out, { recursive: true, force: true });
execFileSync(process.execPath, [
  bin,
  'envoy/service/auth/v3/external_auth.proto',
  'envoy/service/ext_proc/v3/external_processor.proto',
  '--keepCase', '--longs=String', '--enums=String', '--defaults', '--oneofs',
  '--grpcLib=@grpc/grpc-js', '--importFileExtension=.js', '--outDir', out,
  ...['envoy-api', 'googleapis', 'protoc-gen-validate', 'xds'].map((d) => `--includeDirs=${join(deps, d)}`),
], { stdio: 'inherit' });
