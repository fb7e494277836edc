// Builds the approval workflow from the `approvals` section: the store it names, the reviewers'
// verifier, the webhook, the service. A Redis that is not there yet does not stop the start:
// approval decisions fail closed (APPROVALS_UNAVAILABLE) until it answers.
import type { AuditWriter } from '../audit/writer.js';
import type { Logger } from '../logging/logger.js';
import type { ApprovalsConfig } from './config.js';
import { FileApprovalStore } from './file-store.js';
import { RedisApprovalStore } from './redis-store.js';
import { createReviewerVerifier } from './reviewers.js';
import { ApprovalService } from './service.js';
import type { ApprovalStore, StoreTimes } from './types.js';
import { createWebhook } from './webhook.js';

export interface ApprovalSetupOptions {
  readonly audit: AuditWriter;
  readonly logger: Logger;
  readonly clockToleranceSeconds: number;
  readonly fetch?: typeof fetch;
  readonly now?: () => number;
}

export async function openApprovalStore(config: ApprovalsConfig, logger: Logger): Promise<ApprovalStore> {
  const times: StoreTimes = { pendingTtlMs: config.pending_ttl_seconds * 1000, retentionMs: config.retention_seconds * 1000 };
  const { store } = config;
  if (store.type === 'file') return FileApprovalStore.create(store.dir ?? 'approvals', times);
  let lastError = '';
  const redis = RedisApprovalStore.create(
    { url: store.url, keyPrefix: store.key_prefix, connectTimeoutMs: store.connect_timeout_ms, commandTimeoutMs: store.command_timeout_ms },
    times,
    (err) => {
      // ioredis reports every failed reconnect; log each distinct problem once.
      if (err.message !== lastError) logger.error({ err: err.message }, 'approvals store (Redis) unavailable; approval decisions fail closed');
      lastError = err.message;
    },
  );
  await redis.ready(store.connect_timeout_ms).then(
    () => logger.info({ store: 'redis' }, 'approvals store connected'),
    (err: unknown) => logger.error({ err: (err as Error).message }, 'approvals store (Redis) not reachable at start; serving, approval decisions fail closed'),
  );
  return redis;
}

export async function createApprovalService(config: ApprovalsConfig, options: ApprovalSetupOptions): Promise<ApprovalService> {
  const reviewers = await createReviewerVerifier(config.reviewers.issuers, { clockToleranceSeconds: options.clockToleranceSeconds, ...(options.fetch ? { fetch: options.fetch } : {}), ...(options.now ? { now: options.now } : {}) });
  let store: ApprovalStore;
  try {
    store = await openApprovalStore(config, options.logger);
  } catch (err) {
    reviewers.close();
    throw err;
  }
  return new ApprovalService({
    config,
    store,
    audit: options.audit,
    reviewers,
    logger: options.logger,
    ...(config.webhook ? { webhook: createWebhook(config.webhook, options.logger, options.fetch) } : {}),
    ...(options.now ? { now: options.now } : {}),
  });
}
