// Wires one gRPC server: Authorization, ExternalProcessor, health (per service) and reflection on one port. Health
// says NOT_SERVING while starting, while draining, and while the audit trail cannot be written.
import { Server, ServerCredentials } from '@grpc/grpc-js';
import { ReflectionService } from '@grpc/reflection';
import { HealthImplementation, type ServingStatus } from 'grpc-health-check';
import { AuditWriter } from './audit/writer.js';
import { createCheckHandlers } from './authz/check-service.js';
import { createExtProcHandlers } from './extproc/service.js';
import { payloadReporter } from './extproc/payload-audit.js';
import { DETECTORS } from './masking/detectors/index.js';
import { maskingProfiles } from './masking/profile.js';
import type { Config } from './config/schema.js';
import { envoyGrpc, envoyPackageDefinition } from './envoy/protos.js';
import { normaliseForReflection } from './envoy/reflection-descriptors.js';
import { createTokenVerifier, type VerifierOptions } from './identity/verifier.js';
import type { Logger } from './logging/logger.js';

export const AUTHZ_SERVICE = 'envoy.service.auth.v3.Authorization';
export const EXTPROC_SERVICE = 'envoy.service.ext_proc.v3.ExternalProcessor';
const HEALTH_SERVICES = ['', AUTHZ_SERVICE, EXTPROC_SERVICE] as const;

export interface RunningServer {
  readonly port: number;
  readonly address: string;
  /** Stops taking calls, lets those under way finish (up to the grace period), flushes the audit file. */
  shutdown(): Promise<void>;
}

export interface ServerOptions {
  /** Overrides config.server.listen, e.g. 127.0.0.1:0 in tests. */
  readonly listen?: string;
  readonly verifier?: VerifierOptions;
}

export async function startServer(config: Config, logger: Logger, options: ServerOptions = {}): Promise<RunningServer> {
  const health = new HealthImplementation(Object.fromEntries(HEALTH_SERVICES.map((s) => [s, 'NOT_SERVING' as ServingStatus])));
  const setHealth = (status: ServingStatus): void => HEALTH_SERVICES.forEach((s) => health.setStatus(s, status));

  const audit = await AuditWriter.open(config.audit, { logger });
  const verifier = await createTokenVerifier(config.identity, config.policy.regions, options.verifier);
  let draining = false;
  audit.onHealthChange((writable, error) => {
    if (writable) logger.warn({ file: audit.file }, 'audit trail writable again');
    else logger.error({ err: error, file: audit.file }, 'audit trail cannot be written; denying every request');
    if (!draining) setHealth(writable ? 'SERVING' : 'NOT_SERVING');
  });

  const profiles = maskingProfiles(config.masking, DETECTORS);
  const server = new Server();
  const envoy = envoyGrpc().envoy.service;
  server.addService(envoy.auth.v3.Authorization.service, createCheckHandlers({ config, verifier, audit, logger }));
  server.addService(envoy.ext_proc.v3.ExternalProcessor.service, createExtProcHandlers({ profiles, report: payloadReporter(audit, logger), logger }));
  health.addToServer(server);
  new ReflectionService(normaliseForReflection(envoyPackageDefinition())).addToServer(server);

  const address = options.listen ?? config.server.listen;
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(address, ServerCredentials.createInsecure(), (err, bound) => (err ? reject(err) : resolve(bound)));
  });
  setHealth('SERVING');
  const host = address.slice(0, address.lastIndexOf(':'));
  logger.info({ address: `${host}:${port}`, audit_file: audit.file }, 'residency-gate serving');

  return {
    port,
    address: `${host}:${port}`,
    async shutdown() {
      draining = true;
      setHealth('NOT_SERVING');
      await new Promise<void>((resolve) => {
        const force = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, config.server.shutdown_grace_ms);
        server.tryShutdown(() => {
          clearTimeout(force);
          resolve();
        });
      });
      verifier.close();
      await audit.close();
      logger.info('residency-gate stopped');
    },
  };
}
