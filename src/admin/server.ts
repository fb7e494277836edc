// The admin HTTP server: /metrics (Prometheus text), /healthz (the process is up and its event
// loop turns) and /readyz (200 when traffic may come, else 503 with the reasons as JSON). HTTPS
// when configured, with the certificate reloaded on change like the gRPC port's.
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../logging/logger.js';
import type { CertificateWatcher } from '../tls/watcher.js';

export interface ReadyReport {
  readonly ready: boolean;
  readonly reasons: readonly string[];
  /** With several workers: each one's state. */
  readonly workers?: readonly unknown[];
  /** The last config reload, when there was one; a failed one keeps the running config (still ready). */
  readonly config_reload?: { readonly ok: boolean; readonly at: string; readonly problems: readonly unknown[] };
}

export interface AdminHandlers {
  /** Prometheus exposition text and its content type. */
  metrics(): Promise<{ readonly contentType: string; readonly body: string }>;
  ready(): ReadyReport | Promise<ReadyReport>;
}

export interface AdminServerOptions {
  readonly listen: string;
  readonly handlers: AdminHandlers;
  readonly logger: Logger;
  readonly tls?: { readonly watcher: CertificateWatcher; readonly mutual: boolean };
  /** More endpoints on the same port (the approvals API): answers and returns true for the paths it owns. */
  readonly routes?: (req: IncomingMessage, res: ServerResponse) => boolean;
}

export interface RunningAdminServer {
  readonly port: number;
  /** http(s)://host:port */
  readonly url: string;
  close(): Promise<void>;
}

function send(res: ServerResponse, code: number, body: string, contentType = 'application/json'): void {
  res.writeHead(code, { 'content-type': contentType, 'cache-control': 'no-store' });
  res.end(body);
}

function handle(handlers: AdminHandlers, logger: Logger, routes?: AdminServerOptions['routes']) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    const path = (req.url ?? '/').split('?')[0];
    if (routes?.(req, res)) return;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('allow', 'GET, HEAD');
      send(res, 405, '{"error":"method not allowed"}\n');
      return;
    }
    const fail = (err: unknown): void => {
      logger.error({ err, path }, 'admin request failed');
      if (!res.headersSent) send(res, 500, '{"error":"internal error"}\n');
    };
    switch (path) {
      case '/healthz':
        send(res, 200, '{"status":"ok"}\n');
        return;
      case '/readyz':
        Promise.resolve(handlers.ready()).then((report) => {
          send(res, report.ready ? 200 : 503, `${JSON.stringify({ status: report.ready ? 'ready' : 'not_ready', ...report })}\n`);
        }, fail);
        return;
      case '/metrics':
        handlers.metrics().then((m) => send(res, 200, m.body, m.contentType), fail);
        return;
      default:
        send(res, 404, '{"error":"not found","paths":["/metrics","/healthz","/readyz"]}\n');
    }
  };
}

export async function startAdminServer(options: AdminServerOptions): Promise<RunningAdminServer> {
  const { listen, handlers, logger, tls, routes } = options;
  const handler = handle(handlers, logger, routes);
  let server: Server;
  let unfollow: (() => void) | undefined;
  if (tls === undefined) {
    server = createHttpServer(handler);
  } else {
    const m = tls.watcher.current;
    const https = createHttpsServer({ cert: m.cert, key: m.key, ...(m.ca ? { ca: m.ca } : {}), requestCert: tls.mutual, rejectUnauthorized: tls.mutual }, handler);
    unfollow = tls.watcher.onChange((next) => https.setSecureContext({ cert: next.cert, key: next.key, ...(next.ca ? { ca: next.ca } : {}) }));
    server = https;
  }
  server.keepAliveTimeout = 5_000;
  const colon = listen.lastIndexOf(':');
  const host = listen.slice(0, colon).replace(/^\[|\]$/g, '');
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    // exclusive: with node:cluster the primary alone serves admin; never share the port.
    server.listen({ host, port: Number(listen.slice(colon + 1)), exclusive: true }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const shownHost = host.includes(':') ? `[${host}]` : host;
  return {
    port,
    url: `${tls ? 'https' : 'http'}://${shownHost}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        unfollow?.();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
