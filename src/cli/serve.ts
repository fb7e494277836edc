// `residency-gate serve`: load and validate the config, serve, and drain on SIGTERM/SIGINT.
// With --workers N > 1 the process becomes a cluster primary (src/cluster/primary.ts) and the
// same command, re-run by node:cluster in each worker, serves there (src/cluster/worker.ts).
import cluster from 'node:cluster';
import { availableParallelism } from 'node:os';
import { runPrimary } from '../cluster/primary.js';
import { loadConfig } from '../config/load.js';
import { createLogger, toggleDebug } from '../logging/logger.js';
import { watchConfig } from './watch-config.js';

export interface ServeOptions {
  readonly listen?: string;
  /** Processes serving the port; default one per core; 1 runs without node:cluster. */
  readonly workers?: number;
}

export async function serve(configPath: string, options: ServeOptions = {}): Promise<void> {
  const config = await loadConfig(configPath);
  const logger = createLogger(config.log.level, undefined, { redactHeaders: [config.identity.token_header], pretty: config.log.pretty });
  // The gRPC server's modules (grpc-js, Envoy's protos, the maskers) load only where it runs: a
  // cluster primary that never serves gRPC does not carry them.
  if (cluster.isWorker) return (await import('../cluster/worker.js')).runWorker(config, logger, options.listen, configPath);
  const workers = options.workers ?? availableParallelism();
  if (workers > 1) return runPrimary({ config, logger, workers, listen: options.listen });

  const { startServer } = await import('../server.js');
  const server = await startServer(config, logger, { listen: options.listen });
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'draining');
    server.shutdown().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  watchConfig(configPath, logger, () => void server.reload(configPath));
  process.on('SIGUSR2', () => logger.info({ log_level: toggleDebug(logger, config.log.level) }, 'log level changed'));
}
