// A plain HTTP server standing in for a protected service behind Envoy. It records every request
// (with its full body) so that tests can assert what did, or did not, reach the upstream.
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type OutgoingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  readonly method: string;
  /** Path including the query string, as received (after Envoy's normalization). */
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

export interface UpstreamResponse {
  status?: number;
  headers?: OutgoingHttpHeaders;
  body?: string | Uint8Array;
  /** Writes the body itself (streamed, paced, or cut off); called instead of sending `body`. */
  stream?: (res: ServerResponse) => Promise<void>;
}

export type Responder = (req: RecordedRequest, body: Buffer) => UpstreamResponse | Promise<UpstreamResponse>;

export interface RecordingUpstream {
  readonly name: string;
  readonly port: number;
  /** Every request received so far, oldest first. Clear it with `requests.length = 0`. */
  readonly requests: RecordedRequest[];
  /** Replaces the responder for subsequent requests (undefined restores the default). */
  setResponder(responder: Responder | undefined): void;
  close(): Promise<void>;
}

export interface RecordingUpstreamOptions {
  /** Answers requests instead of the default 200 `{"upstream": name, "path": path}`. */
  respond?: Responder;
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

export async function startRecordingUpstream(name: string, options: RecordingUpstreamOptions = {}): Promise<RecordingUpstream> {
  const requests: RecordedRequest[] = [];
  const defaultResponder: Responder = (req) => ({
    status: 200,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ upstream: name, path: req.path }),
  });
  let responder = options.respond ?? defaultResponder;

  const server = createServer((req, res) => {
    void (async () => {
      try {
        const body = await readBody(req);
        const recorded: RecordedRequest = { method: req.method ?? '', path: req.url ?? '', headers: req.headers, body };
        requests.push(recorded);
        const answer = await responder(recorded, body);
        res.writeHead(answer.status ?? 200, answer.headers ?? {});
        if (answer.stream) await answer.stream(res);
        else res.end(answer.body ?? '');
      } catch (error) {
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(`recording upstream ${name}: ${error instanceof Error ? error.message : String(error)}`);
      }
    })();
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;

  let closing: Promise<void> | undefined;
  return {
    name,
    port,
    requests,
    setResponder(next) {
      responder = next ?? defaultResponder;
    },
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Envoy keeps pooled keep-alive connections open; do not wait for them to idle out.
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
