// The approvals API on the admin port (JSON over HTTP; every call needs a reviewer's bearer token):
//   GET  /v1/approvals/tickets[?state=&target=&subject=&origin_region=&limit=]
//   GET  /v1/approvals/tickets/{id}
//   POST /v1/approvals/tickets/{id}/approve  {"comment": "...", "lifetime_seconds": 3600, "uses": 1}
//   POST /v1/approvals/tickets/{id}/deny     {"comment": "..."}
//   POST /v1/approvals/tickets/{id}/revoke   {"comment": "..."}
// Answers: {"ticket": …} or {"tickets": […]}; errors {"code", "message"} with the status of
// src/approvals/errors.ts. The gRPC twin (src/approvals/grpc.ts) offers the same calls.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { APPROVAL_ERRORS, ApprovalError } from '../approvals/errors.js';
import type { ApprovalService } from '../approvals/service.js';
import type { TicketState } from '../approvals/types.js';
import type { Logger } from '../logging/logger.js';

export const APPROVALS_API_PREFIX = '/v1/approvals/';
const MAX_BODY = 64 * 1024;

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(`${JSON.stringify(body)}\n`);
}

function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        reject(new ApprovalError('INVALID_REQUEST', 'body too large'));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('error', reject);
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8').trim();
      if (text === '') return resolve({});
      try {
        const value: unknown = JSON.parse(text);
        if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error('not an object');
        resolve(value as Record<string, unknown>);
      } catch {
        reject(new ApprovalError('INVALID_REQUEST', 'the body must be a JSON object'));
      }
    });
  });
}

export function approvalsRoutes(approvals: ApprovalService, logger: Logger) {
  return (req: IncomingMessage, res: ServerResponse): boolean => {
    const url = new URL(req.url ?? '/', 'http://admin');
    if (!url.pathname.startsWith(APPROVALS_API_PREFIX)) return false;
    const parts = url.pathname.slice(APPROVALS_API_PREFIX.length).split('/');
    const method = req.method ?? 'GET';
    const run = async (): Promise<void> => {
      if (parts[0] !== 'tickets' || parts.length > 3) throw new ApprovalError('INVALID_REQUEST', `no such endpoint: ${url.pathname}`);
      const reviewer = await approvals.authenticate(req.headers.authorization);
      const [, id, action] = parts;
      if (id === undefined || id === '') {
        if (method !== 'GET') return methodNotAllowed(res, 'GET');
        const q = url.searchParams;
        const limit = q.get('limit');
        const tickets = await approvals.list({
          ...(q.get('state') ? { state: q.get('state') as TicketState } : {}),
          ...(q.get('target') ? { target: q.get('target')! } : {}),
          ...(q.get('subject') ? { subject: q.get('subject')! } : {}),
          ...(q.get('origin_region') ? { origin_region: q.get('origin_region')! } : {}),
          ...(limit ? { limit: Number(limit) || 100 } : {}),
        });
        return json(res, 200, { tickets });
      }
      if (action === undefined) {
        if (method !== 'GET') return methodNotAllowed(res, 'GET');
        return json(res, 200, { ticket: await approvals.show(id) });
      }
      if (method !== 'POST') return methodNotAllowed(res, 'POST');
      const body = await readJson(req);
      switch (action) {
        case 'approve':
          return json(res, 200, { ticket: await approvals.approve(reviewer, id, body) });
        case 'deny':
          return json(res, 200, { ticket: await approvals.deny(reviewer, id, body) });
        case 'revoke':
          return json(res, 200, { ticket: await approvals.revoke(reviewer, id, body) });
        default:
          throw new ApprovalError('INVALID_REQUEST', `no such action: ${action}`);
      }
    };
    run().catch((err: unknown) => {
      if (res.headersSent) return;
      if (err instanceof ApprovalError) {
        if (err.http >= 500) logger.error({ err, path: url.pathname }, 'approvals API call failed');
        else logger.info({ code: err.code, detail: err.message, path: url.pathname }, 'approvals API call refused');
        const message = err.http >= 500 ? APPROVAL_ERRORS[err.code].message : err.message;
        return json(res, err.code === 'INVALID_REQUEST' && err.message.startsWith('no such') ? 404 : err.http, { code: err.code, message });
      }
      logger.error({ err, path: url.pathname }, 'approvals API call failed');
      json(res, 500, { code: 'INTERNAL', message: 'internal error' });
    });
    return true;
  };
}

function methodNotAllowed(res: ServerResponse, allow: string): void {
  res.setHeader('allow', allow);
  json(res, 405, { code: 'INVALID_REQUEST', message: 'method not allowed' });
}
