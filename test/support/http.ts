// An HTTP/1.1 client for talking to Envoy in tests. Unlike fetch(), it sends the path exactly as
// given (no dot-segment resolution, no percent-decoding) and lets the test set any header,
// including Host, which is what tests of path normalization and authority-based policy need.
import { request, type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http';

export interface RawRequest {
  port: number;
  host?: string;
  method?: string;
  /** Sent verbatim on the request line. */
  path: string;
  headers?: OutgoingHttpHeaders;
  body?: string | Uint8Array;
  timeoutMs?: number;
}

export interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
  /** The body as UTF-8 text. */
  text(): string;
}

export function rawRequest(options: RawRequest): Promise<RawResponse> {
  const { port, host = '127.0.0.1', method = 'GET', path, headers = {}, body, timeoutMs = 10_000 } = options;
  return new Promise((resolve, reject) => {
    const req = request({ host, port, method, path, headers, agent: false, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', reject);
      res.on('end', () => {
        const buf = Buffer.concat(chunks);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: buf, text: () => buf.toString('utf8') });
      });
    });
    req.on('timeout', () => req.destroy(new Error(`${method} ${path}: no response within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(body);
  });
}
