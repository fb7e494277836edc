// The cluster primary: forks N workers that share the gRPC port (node:cluster hands each new
// connection to a worker in turn; an HTTP/2 connection then stays with its worker), restarts a
// worker that dies, serves the admin port for all (metrics summed over the workers by prom-client's
// AggregatorRegistry, readiness = every worker ready), and on SIGTERM drains every worker.
import cluster, { type Worker } from 'node:cluster';
import { AggregatorRegistry, Counter, Gauge, Registry } from 'prom-client';
import { startAdminServer, type RunningAdminServer } from '../admin/server.js';
import { approvalsRoutes } from '../admin/approvals-routes.js';
import { createApprovalService } from '../approvals/setup.js';
import type { ApprovalService } from '../approvals/service.js';
import { AuditWriter } from '../audit/writer.js';
import type { NotReadyReason } from '../admin/readiness.js';
import type { Config } from '../config/schema.js';
import { toggleDebug, type Logger } from '../logging/logger.js';
import { METRIC_PREFIX } from '../metrics/metrics.js';
import { CertificateWatcher } from '../tls/watcher.js';
import { isWorkerMessage, WORKER_INDEX_ENV, workerAuditFile } from './protocol.js';

/** Restarts of a worker that keeps dying are spaced this far apart. */
const RESTART_DELAY_MS = 1000;

interface Slot {
  readonly index: number;
  worker: Worker | undefined;
  address: string | undefined;
  ready: boolean;
  reasons: readonly NotReadyReason[];
  everServed: boolean;
}

/** The primary's own metrics; the workers' come through AggregatorRegistry. */
export class PrimaryMetrics {
  readonly registry = new Registry();
  readonly workers = new Gauge({ name: `${METRIC_PREFIX}workers`, help: 'Worker processes, by state.', labelNames: ['state'] as const, registers: [this.registry] });
  readonly restarts = new Counter({ name: `${METRIC_PREFIX}worker_restarts_total`, help: 'Workers that exited unexpectedly and were started again.', registers: [this.registry] });
}

export interface PrimaryOptions {
  readonly config: Config;
  readonly logger: Logger;
  readonly workers: number;
  readonly listen: string | undefined;
}

export async function runPrimary({ config, logger, workers, listen }: PrimaryOptions): Promise<void> {
  const slots: Slot[] = Array.from({ length: workers }, (_, i) => ({ index: i + 1, worker: undefined, address: undefined, ready: false, reasons: ['starting'], everServed: false }));
  const metrics = new PrimaryMetrics();
  const aggregator = new AggregatorRegistry();
  let draining = false;
  let announced = false;
  let admin: RunningAdminServer | undefined;
  let adminCerts: CertificateWatcher | undefined;
  // The approvals API is on the admin port, so the primary serves it, with an audit chain of its own (audit.w0.jsonl).
  let approvals: ApprovalService | undefined;
  let approvalsAudit: AuditWriter | undefined;

  const countWorkers = (): void => {
    metrics.workers.set({ state: 'ready' }, slots.filter((s) => s.worker !== undefined && s.ready).length);
    metrics.workers.set({ state: 'not_ready' }, slots.filter((s) => s.worker !== undefined && !s.ready).length);
  };

  const fork = (slot: Slot): void => {
    const worker = cluster.fork({ [WORKER_INDEX_ENV]: String(slot.index) });
    slot.worker = worker;
    slot.ready = false;
    slot.reasons = ['starting'];
    countWorkers();
    worker.on('message', (message: unknown) => {
      if (!isWorkerMessage(message) || message.index !== slot.index) return;
      if (message.rg === 'serving') {
        slot.address = message.address;
        slot.everServed = true;
        logger.info({ worker: slot.index, pid: worker.process.pid, audit_file: message.auditFile }, 'worker serving');
        if (!announced && slots.every((s) => s.everServed)) {
          announced = true;
          logger.info({ address: message.address, workers, admin: admin?.url }, 'residency-gate serving');
        }
      } else {
        slot.ready = message.ready;
        slot.reasons = message.reasons;
      }
      countWorkers();
    });
    worker.once('exit', (code, signal) => {
      if (slot.worker === worker) slot.worker = undefined;
      slot.ready = false;
      countWorkers();
      if (draining) return;
      if (!slot.everServed) {
        // It never started: the config or the environment is wrong, and the others would fail alike.
        logger.error({ worker: slot.index, code, signal }, 'worker failed to start; stopping');
        void stop('worker failed to start', 1);
        return;
      }
      logger.error({ worker: slot.index, code, signal }, 'worker exited; starting it again');
      metrics.restarts.inc();
      setTimeout(() => {
        if (!draining) fork(slot);
      }, RESTART_DELAY_MS).unref();
    });
  };

  const readyReport = () => {
    const reasons = new Set<string>();
    for (const s of slots) {
      if (s.worker === undefined) reasons.add('worker_down');
      for (const r of s.reasons) reasons.add(r);
    }
    if (draining) reasons.add('draining');
    const ready = reasons.size === 0 && slots.every((s) => s.ready);
    return {
      ready,
      reasons: [...reasons],
      workers: slots.map((s) => ({ worker: s.index, pid: s.worker?.process.pid ?? null, ready: s.worker !== undefined && s.ready, reasons: s.worker === undefined ? ['worker_down'] : s.reasons })),
    };
  };

  let stopping: Promise<void> | undefined;
  const stop = (why: string, exitCode = 0): Promise<void> => {
    stopping ??= (async () => {
      draining = true;
      logger.info({ reason: why }, 'draining all workers');
      const exits = slots
        .map((s) => s.worker)
        .filter((w): w is Worker => w !== undefined && w.process.exitCode === null && w.process.signalCode === null)
        .map((w) => new Promise<void>((resolve) => {
          w.once('exit', () => resolve());
          w.process.kill('SIGTERM');
        }));
      const killer = setTimeout(() => {
        for (const s of slots) s.worker?.process.kill('SIGKILL');
      }, config.server.shutdown_grace_ms + 10_000);
      await Promise.all(exits);
      clearTimeout(killer);
      adminCerts?.close();
      await admin?.close();
      await approvals?.close();
      await approvalsAudit?.close();
      logger.info('residency-gate stopped');
      process.exit(exitCode);
    })();
    return stopping;
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGUSR2', () => {
    logger.info({ log_level: toggleDebug(logger, config.log.level) }, 'log level changed; telling the workers');
    for (const s of slots) s.worker?.process.kill('SIGUSR2');
  });
  // Each worker reloads its own settings (and watches the file itself); a SIGHUP sent to the
  // primary alone reaches them this way.
  process.on('SIGHUP', () => {
    logger.info('SIGHUP: telling the workers to reload the config');
    for (const s of slots) s.worker?.process.kill('SIGHUP');
  });

  if (config.admin.enabled) {
    const tls = config.admin.tls;
    adminCerts = tls === undefined ? undefined : (await CertificateWatcher.load('admin', tls, { logger })).start();
    if (config.approvals !== undefined) {
      approvalsAudit = await AuditWriter.open({ ...config.audit, file: workerAuditFile(config.audit.file, 0) }, { logger });
      approvals = await createApprovalService(config.approvals, { audit: approvalsAudit, logger, clockToleranceSeconds: config.identity.clock_tolerance_seconds });
    }
    admin = await startAdminServer({
      listen: config.admin.listen,
      logger,
      handlers: {
        metrics: async () => ({ contentType: aggregator.contentType, body: `${await aggregator.clusterMetrics()}\n${await metrics.registry.metrics()}` }),
        ready: readyReport,
      },
      ...(adminCerts ? { tls: { watcher: adminCerts, mutual: tls?.client_ca_file !== undefined } } : {}),
      ...(approvals ? { routes: approvalsRoutes(approvals, logger) } : {}),
    });
    approvals?.setAdminUrl(admin.url);
    approvals?.start();
  }
  logger.info({ workers, listen: listen ?? config.server.listen, admin: admin?.url }, 'starting workers');
  for (const slot of slots) fork(slot);
}
