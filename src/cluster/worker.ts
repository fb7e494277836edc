// A cluster worker: one gRPC server on the port the primary shares, its own audit chain, its own
// health; its metrics go to the primary on request (prom-client's AggregatorRegistry), its
// readiness on every change. No admin port: the primary serves it for all.
import { AggregatorRegistry } from 'prom-client';
import type { Config } from '../config/schema.js';
import { toggleDebug, type Logger } from '../logging/logger.js';
import { startServer } from '../server.js';
import { watchConfig } from '../cli/watch-config.js';
import { WORKER_INDEX_ENV, workerAuditFile, type WorkerMessage } from './protocol.js';

export async function runWorker(config: Config, logger: Logger, listen: string | undefined, configPath: string): Promise<void> {
  const index = Number(process.env[WORKER_INDEX_ENV]);
  if (!Number.isInteger(index) || index < 1) throw new Error(`worker started without ${WORKER_INDEX_ENV}`);
  const log = logger.child({ worker: index });
  const ownAudit = (c: Config): Config => ({ ...c, audit: { ...c.audit, file: workerAuditFile(c.audit.file, index) } });
  const own = ownAudit(config);
  const send = (message: WorkerMessage): void => {
    if (process.connected) process.send?.(message);
  };

  // Answer the primary's metrics requests from the start (with nothing until the server is up),
  // or a scrape during start-up would wait for its timeout.
  AggregatorRegistry.setRegistries([]);
  new AggregatorRegistry();
  let server: Awaited<ReturnType<typeof startServer>>;
  try {
    server = await startServer(own, log, { listen, admin: false, logMessage: 'worker serving', adjustConfig: ownAudit });
  } catch (err) {
    // The IPC channel would keep this process alive after main() reports the error: let it go.
    process.disconnect?.();
    throw err;
  }
  watchConfig(configPath, log, () => void server.reload(configPath));
  AggregatorRegistry.setRegistries([server.metrics.registry]);
  server.readiness.onChange((s) => send({ rg: 'readiness', index, ready: s.ready, reasons: s.reasons }));
  // The primary answers this message with its "residency-gate serving" line; this worker's own
  // lines (batched, src/logging/destination.ts) are written out first, so the log reads in order.
  await new Promise<void>((resolve) => log.flush(() => resolve()));
  send({ rg: 'serving', index, address: server.address, auditFile: own.audit.file });
  const state = server.readiness.state;
  send({ rg: 'readiness', index, ready: state.ready, reasons: state.reasons });

  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'worker draining');
    server.shutdown().then(
      () => process.exit(0),
      (err: unknown) => {
        log.error({ err }, 'worker shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  // Ctrl-C reaches the whole process group; the primary drains the workers itself.
  process.on('SIGINT', () => undefined);
  process.on('SIGUSR2', () => log.info({ log_level: toggleDebug(log, config.log.level) }, 'log level changed'));
  // The primary went away without telling us: stop rather than serve unsupervised.
  process.on('disconnect', () => stop('primary gone'));
}
