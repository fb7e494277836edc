// Wires one gRPC server: Authorization, ExternalProcessor, health (per service) and reflection on
// one port, TLS if configured, and the admin HTTP server (metrics, liveness, readiness) on its
// own. Health and readiness say NOT_SERVING while starting, draining, while the audit trail cannot
// be written and while no valid config is loaded.
import { Server, type ServerInterceptor } from '@grpc/grpc-js';
import { GRPC_SERVER_OPTIONS } from './grpc-server-options.js';
import { ReflectionService } from '@grpc/reflection';
import { HealthImplementation, type ServingStatus } from 'grpc-health-check';
import { startAdminServer, type RunningAdminServer } from './admin/server.js';
import { Readiness, type NotReadyReason } from './admin/readiness.js';
import { AuditWriter } from './audit/writer.js';
import { approvalsRoutes } from './admin/approvals-routes.js';
import { approvalsServiceDefinition, createApprovalsGrpcHandlers } from './approvals/grpc.js';
import { createApprovalService } from './approvals/setup.js';
import { openFileDefault } from './audit/trail-file.js';
import { createCheckHandlers } from './authz/check-service.js';
import { createExtProcHandlers } from './extproc/service.js';
import { payloadReporter } from './extproc/payload-audit.js';
import { derive } from './config/checked.js';
import { LiveSettings, type ReloadStatus } from './config/live.js';
import type { Config } from './config/schema.js';
import { envoyGrpc, envoyPackageDefinition } from './envoy/protos.js';
import { normaliseForReflection } from './envoy/reflection-descriptors.js';
import { cachedVerifier } from './identity/cached-verifier.js';
import { createTokenVerifier, type VerifierOptions } from './identity/verifier.js';
import type { Logger } from './logging/logger.js';
import { decisionObserver, instrumentedOpenFile, jwksObserver, messageObserver, metricsInterceptor, payloadObserver, watchAuditWriter } from './metrics/instrument.js';
import { Metrics } from './metrics/metrics.js';
import { clientNameInterceptor, grpcServerCredentials } from './tls/grpc.js';
import { CertificateWatcher } from './tls/watcher.js';

export const AUTHZ_SERVICE = 'envoy.service.auth.v3.Authorization';
export const EXTPROC_SERVICE = 'envoy.service.ext_proc.v3.ExternalProcessor';
export const HEALTH_SERVICES = ['', AUTHZ_SERVICE, EXTPROC_SERVICE] as const;

export interface RunningServer {
  readonly port: number;
  readonly address: string;
  readonly metrics: Metrics;
  readonly readiness: Readiness;
  /** Undefined when admin.enabled is false or options.admin is false. */
  readonly admin: RunningAdminServer | undefined;
  /** For the config reload: false while no valid config is loaded (health NOT_SERVING, /readyz 503). */
  setConfigValid(valid: boolean): void;
  /** Re-reads the config file; applies it whole if it is valid, else keeps the running one. */
  reload(file: string): Promise<ReloadStatus>;
  /** Stops taking calls, lets those under way finish (up to the grace period), flushes the audit file. */
  shutdown(): Promise<void>;
}

export interface ServerOptions {
  /** Overrides config.server.listen, e.g. 127.0.0.1:0 in tests. */
  readonly listen?: string;
  /** Overrides config.admin.listen. */
  readonly adminListen?: string;
  /** false: no admin server whatever the config says (cluster workers: the primary serves it). */
  readonly admin?: boolean;
  readonly verifier?: VerifierOptions;
  /** A registry of one's own (default: a new one per server). */
  readonly metrics?: Metrics;
  /** The "serving" log line's message (cluster workers log "worker serving"). */
  readonly logMessage?: string;
  /** Applied to every reloaded config as to the one given (cluster workers: their own audit file). */
  readonly adjustConfig?: (config: Config) => Config;
}

export async function startServer(config: Config, logger: Logger, options: ServerOptions = {}): Promise<RunningServer> {
  const metrics = options.metrics ?? new Metrics({ regions: config.policy.regions, issuers: config.identity.issuers.map((i) => i.issuer) });
  const readiness = new Readiness();
  const health = new HealthImplementation(Object.fromEntries(HEALTH_SERVICES.map((s) => [s, 'NOT_SERVING' as ServingStatus])));
  const applyReadiness = (): void => {
    const { ready } = readiness.state;
    HEALTH_SERVICES.forEach((s) => health.setStatus(s, ready ? 'SERVING' : 'NOT_SERVING'));
    metrics.ready.set(ready ? 1 : 0);
  };
  readiness.onChange(applyReadiness);
  applyReadiness();

  const cleanup: Array<() => unknown> = [];
  try {
    const audit = await AuditWriter.open(config.audit, { logger, openFile: instrumentedOpenFile(metrics, config.audit.file, openFileDefault) });
    cleanup.push(() => audit.close().catch(() => undefined));
    watchAuditWriter(metrics, audit);
    readiness.set('audit_unwritable', !audit.isWritable);
    audit.onHealthChange((writable, error) => {
      if (writable) logger.warn({ file: audit.file }, 'audit trail writable again');
      else logger.error({ err: error, file: audit.file }, 'audit trail cannot be written; denying every request');
      readiness.set('audit_unwritable', !writable);
    });
    const makeVerifier = async (c: Config) => {
      const verifier = await createTokenVerifier(c.identity, c.policy.regions, { onJwksRefresh: jwksObserver(metrics), ...options.verifier });
      const { max_entries, max_age_seconds } = c.identity.token_cache;
      return max_entries === 0 ? verifier : cachedVerifier(verifier, { maxEntries: max_entries, maxAgeMs: max_age_seconds * 1000 });
    };
    const live = new LiveSettings({ ...derive(config), verifier: await makeVerifier(config) }, makeVerifier, options.adjustConfig);
    cleanup.push(() => live.close());
    // Tickets and grants (docs/approvals.md): built once from the starting config's `approvals`.
    const approvals = config.approvals === undefined ? undefined : await createApprovalService(config.approvals, { audit, logger, clockToleranceSeconds: config.identity.clock_tolerance_seconds });
    cleanup.push(() => approvals?.close());

    const tls = config.server.tls;
    const certs = tls === undefined ? undefined : await CertificateWatcher.load('grpc', tls, { logger, onReload: (ok) => metrics.tlsReloads.inc({ listener: 'grpc', result: ok ? 'success' : 'failure' }) });
    certs?.start();
    cleanup.push(() => certs?.close());
    const interceptors: ServerInterceptor[] = [metricsInterceptor(metrics)];
    if (tls?.allowed_client_sans !== undefined) {
      interceptors.push(clientNameInterceptor(tls.allowed_client_sans, logger, (reason) => metrics.tlsClientRejections.inc({ reason })));
    }

    const server = new Server({ ...GRPC_SERVER_OPTIONS, interceptors });
    const envoy = envoyGrpc().envoy.service;
    server.addService(envoy.auth.v3.Authorization.service, createCheckHandlers({ settings: () => live.current, audit, logger, observe: decisionObserver(metrics), approvals }));
    server.addService(
      envoy.ext_proc.v3.ExternalProcessor.service,
      createExtProcHandlers({ settings: () => live.current, report: payloadReporter(audit, logger, payloadObserver(metrics)), logger, observeMessage: messageObserver(metrics) }),
    );
    server.addService(approvalsServiceDefinition(), createApprovalsGrpcHandlers(approvals, logger));
    health.addToServer(server);
    new ReflectionService(normaliseForReflection(envoyPackageDefinition())).addToServer(server);

    const address = options.listen ?? config.server.listen;
    const port = await new Promise<number>((resolve, reject) => {
      server.bindAsync(address, grpcServerCredentials(certs, tls?.client_ca_file !== undefined), (err, bound) => (err ? reject(err) : resolve(bound)));
    });
    cleanup.push(() => server.forceShutdown());
    const host = address.slice(0, address.lastIndexOf(':'));

    let admin: RunningAdminServer | undefined;
    if (config.admin.enabled && options.admin !== false) {
      const adminTls = config.admin.tls;
      const adminCerts = adminTls === undefined ? undefined : await CertificateWatcher.load('admin', adminTls, { logger, onReload: (ok) => metrics.tlsReloads.inc({ listener: 'admin', result: ok ? 'success' : 'failure' }) });
      adminCerts?.start();
      cleanup.push(() => adminCerts?.close());
      admin = await startAdminServer({
        listen: options.adminListen ?? config.admin.listen,
        logger,
        handlers: {
          metrics: async () => ({ contentType: metrics.registry.contentType, body: await metrics.text() }),
          ready: () => ({ ...readiness.state, ...(live.lastReload ? { config_reload: live.lastReload } : {}) }),
        },
        ...(adminCerts ? { tls: { watcher: adminCerts, mutual: adminTls?.client_ca_file !== undefined } } : {}),
        ...(approvals ? { routes: approvalsRoutes(approvals, logger) } : {}),
      });
      cleanup.push(() => admin?.close());
    }
    // A cluster worker has no admin server of its own: the primary's, at admin.listen, serves the approvals API.
    approvals?.setAdminUrl(admin?.url ?? (config.admin.enabled && !config.admin.listen.endsWith(':0') ? `${config.admin.tls ? 'https' : 'http'}://${config.admin.listen}` : undefined));
    approvals?.start();

    readiness.set('starting', false);
    logger.info({ address: `${host}:${port}`, audit_file: audit.file, tls: tls === undefined ? 'off' : tls.client_ca_file === undefined ? 'tls' : 'mtls', admin: admin?.url }, options.logMessage ?? 'residency-gate serving');

    let stopping: Promise<void> | undefined;
    return {
      port,
      address: `${host}:${port}`,
      metrics,
      readiness,
      admin,
      setConfigValid: (valid: boolean) => readiness.set('no_valid_config', !valid),
      async reload(file: string) {
        const status = await live.reload(file);
        metrics.configReloads.inc({ result: status.ok ? 'success' : 'failure' });
        if (status.ok) logger.info({ file }, 'config reloaded');
        else logger.error({ file, problems: status.problems }, 'config reload failed; the running config is kept');
        return status;
      },
      shutdown() {
        stopping ??= (async () => {
          readiness.set('draining', true);
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
          live.close();
          certs?.close();
          await admin?.close();
          await approvals?.close();
          await audit.close();
          logger.info('residency-gate stopped');
        })();
        return stopping;
      },
    };
  } catch (err) {
    for (const undo of cleanup.reverse()) await undo();
    throw err;
  }
}

export type { NotReadyReason };
