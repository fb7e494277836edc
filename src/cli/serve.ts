// `residency-gate serve`: load and validate the config, serve, and drain on SIGTERM/SIGINT.
import { loadConfig } from '../config/load.js';
import { createLogger } from '../logging/logger.js';
import { startServer } from '../server.js';

export async function serve(configPath: string, listen: string | undefined): Promise<void> {
  const config = await loadConfig(configPath);
  const logger = createLogger(config.log.level);
  const server = await startServer(config, logger, { listen });
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
}
