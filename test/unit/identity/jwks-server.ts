// A local HTTP server standing in for an issuer: serves JSON documents by path and counts the
// requests for each, so tests can prove what was fetched and how often.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Route {
  readonly status?: number;
  /** Serialised as JSON unless already a string. */
  readonly body?: unknown;
  /** Never answer, to exercise timeouts. */
  readonly hang?: boolean;
}

export class JwksServer {
  private readonly routes = new Map<string, Route>();
  private readonly hits = new Map<string, number>();

  private readonly server: Server = createServer((req, res) => this.handle(req, res));
  private port = 0;

  private constructor() {}

  static async start(): Promise<JwksServer> {
    const self = new JwksServer();
    await new Promise<void>((resolve) => self.server.listen(0, '127.0.0.1', resolve));
    self.port = (self.server.address() as AddressInfo).port;
    return self;
  }

  get origin(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  url(path: string): string {
    return `${this.origin}${path}`;
  }

  serve(path: string, route: Route): void {
    this.routes.set(path, route);
  }

  /** Serves an OIDC discovery document for `issuer` pointing at `jwksPath`. */
  serveDiscovery(issuer: string, jwksPath: string): void {
    this.serve('/.well-known/openid-configuration', { body: { issuer, jwks_uri: this.url(jwksPath) } });
  }

  count(path: string): number {
    return this.hits.get(path) ?? 0;
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    this.hits.set(path, this.count(path) + 1);
    const route = this.routes.get(path);
    if (route?.hang === true) return;
    if (route === undefined) {
      res.writeHead(404).end('not found');
      return;
    }
    const body = typeof route.body === 'string' ? route.body : JSON.stringify(route.body);
    res.writeHead(route.status ?? 200, { 'content-type': 'application/json' }).end(body);
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
