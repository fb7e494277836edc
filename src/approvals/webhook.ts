// The webhook: a JSON POST for each new ticket and each decision, delivered in the background and
// retried with exponential backoff. Nothing waits for it: a slow or dead receiver never delays or
// blocks a decision. Events still undelivered when the process stops are lost (and logged).
import type { Logger } from '../logging/logger.js';
import type { WebhookConfig } from './config.js';
import type { TicketView } from './ticket.js';

export type WebhookEventName = 'ticket.requested' | 'ticket.approved' | 'ticket.denied' | 'ticket.revoked' | 'ticket.expired';

export interface WebhookEvent {
  readonly event: WebhookEventName;
  /** A unique id per event, the same on every retry, so the receiver can drop duplicates. */
  readonly id: string;
  readonly at: string;
  readonly ticket: TicketView;
}

export interface WebhookSender {
  send(event: WebhookEvent): void;
  /** Waits (up to `ms`) for deliveries under way; used on shutdown and in tests. */
  drain(ms: number): Promise<void>;
}

export function createWebhook(config: WebhookConfig, logger: Logger, fetchImpl: typeof fetch = globalThis.fetch): WebhookSender {
  let pending = 0;
  const inFlight = new Set<Promise<void>>();

  const deliver = async (event: WebhookEvent): Promise<void> => {
    const body = JSON.stringify(event);
    for (let attempt = 1; attempt <= config.attempts; attempt++) {
      try {
        const res = await fetchImpl(config.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'user-agent': 'residency-gate', 'x-residency-event': event.event, ...config.headers },
          body,
          signal: AbortSignal.timeout(config.timeout_ms),
        });
        await res.arrayBuffer().catch(() => undefined);
        if (res.ok) {
          logger.debug({ event: event.event, ticket: event.ticket.id, attempt }, 'webhook delivered');
          return;
        }
        logger.warn({ event: event.event, ticket: event.ticket.id, attempt, status: res.status }, 'webhook refused');
      } catch (err) {
        logger.warn({ event: event.event, ticket: event.ticket.id, attempt, err: (err as Error).message }, 'webhook delivery failed');
      }
      if (attempt < config.attempts) {
        const wait = Math.min(config.backoff_ms * 2 ** (attempt - 1), config.max_backoff_ms);
        await new Promise((resolve) => setTimeout(resolve, wait * (0.8 + Math.random() * 0.4)).unref());
      }
    }
    logger.error({ event: event.event, ticket: event.ticket.id, attempts: config.attempts }, 'webhook given up');
  };

  return {
    send(event) {
      if (pending >= config.queue_limit) {
        logger.error({ event: event.event, ticket: event.ticket.id }, 'webhook queue full; event dropped');
        return;
      }
      pending += 1;
      const p = deliver(event).finally(() => {
        pending -= 1;
        inFlight.delete(p);
      });
      inFlight.add(p);
    },
    async drain(ms) {
      await Promise.race([Promise.allSettled([...inFlight]), new Promise((resolve) => setTimeout(resolve, ms).unref())]);
    },
  };
}
