// Property tests over CheckRequests through the real gRPC server: whatever Envoy (or an attacker
// reaching the port) sends, residency-gate answers, never crashes, and never answers OK to what it
// cannot decide.
import fc from 'fast-check';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/config/load.js';
import { createLogger } from '../../../src/logging/logger.js';
import { startServer, type RunningServer } from '../../../src/server.js';
import type { AuthorizationClient } from '../../../src/envoy/generated/envoy/service/auth/v3/Authorization.js';
import type { CheckRequest } from '../../../src/envoy/generated/envoy/service/auth/v3/CheckRequest.js';
import { rawTestConfig } from '../../support/config.js';
import { authorizationClient, checkOnce } from '../../support/grpc-clients.js';
import { createTestIssuer, type TestIssuer } from '../../support/issuer.js';
import { FUZZ_RUNS, FUZZ_TIMEOUT_MS } from './runs.js';

let server: RunningServer;
let client: AuthorizationClient;
let issuer: TestIssuer;
let euToken: string;

beforeAll(async () => {
  issuer = await createTestIssuer();
  const raw = rawTestConfig(issuer, join(await mkdtemp(join(tmpdir(), 'rg-fuzz-')), 'audit.jsonl')) as { audit: Record<string, unknown> };
  // Thousands of cases: fsync per record would only measure the disk.
  raw.audit.durability = 'async';
  server = await startServer(parseConfig(raw, issuer.dir), createLogger('silent'));
  client = authorizationClient(server.address);
  euToken = await issuer.mint({ region: 'eu-west-1' }, { expiresIn: '1h' });
});

afterAll(async () => {
  client?.close();
  await server?.shutdown();
});

const text = fc.oneof(fc.string({ maxLength: 40 }), fc.string({ unit: 'grapheme', maxLength: 40 }), fc.string({ unit: 'binary', maxLength: 60 }));
const headerMap = fc.oneof(
  { weight: 4, arbitrary: fc.dictionary(text, text, { maxKeys: 12 }) },
  { weight: 1, arbitrary: fc.dictionary(fc.string({ minLength: 1, maxLength: 8 }), fc.string({ maxLength: 8 }), { minKeys: 200, maxKeys: 600 }) },
);
const authority = fc.oneof(text, fc.constantFrom('crm.eu.example.com', 'api.us.example.com', 'CRM.EU.EXAMPLE.COM:443', 'x.us.example.com.', ''));
const authorization = fc.oneof(
  fc.constant(undefined),
  text.map((t) => `Bearer ${t}`),
  fc.constantFrom('Bearer', 'Basic YWxhZGRpbjpvcGVuc2VzYW1l', 'Bearer a.b.c', 'Bearer eyJhbGciOiJub25lIn0.e30.', `Bearer ${'a'.repeat(9000)}`),
);

function request(h: Record<string, string>, host: string, auth: string | undefined, context: Record<string, string>, path: string): CheckRequest {
  const headers = { ...h, ...(auth === undefined ? {} : { authorization: auth }) };
  return { attributes: { request: { http: { method: 'GET', host, path, headers, id: 'fuzz' } }, context_extensions: context } };
}

const context = fc.oneof(fc.constant({}), fc.dictionary(fc.constantFrom('residency.target', 'residency.region', 'other'), text, { maxKeys: 3 }));

describe('Check under random requests', () => {
  it('never answers OK without a valid token, and always answers', async () => {
    await fc.assert(
      fc.asyncProperty(headerMap, authority, authorization, context, text, async (h, host, auth, ctx, path) => {
        const r = await checkOnce(client, request(h, host, auth, ctx, path));
        expect(r.status?.code).not.toBe(0);
        expect(r.http_response).toBe('denied_response');
      }),
      { numRuns: FUZZ_RUNS },
    );
  }, FUZZ_TIMEOUT_MS);

  it('with a valid EU token, passes only to an EU target and whatever else the request carries', async () => {
    await fc.assert(
      fc.asyncProperty(headerMap, authority, context, text, async (h, host, ctx, path) => {
        const r = await checkOnce(client, request(h, host, `Bearer ${euToken}`, ctx, path));
        if (r.status?.code === 0) {
          const headers = Object.fromEntries((r.ok_response?.headers ?? []).map((x) => [x.header?.key, x.header?.value]));
          expect(headers['x-residency-target-region']).toBe('eu-west-1');
          expect(headers['x-residency-origin-region']).toBe('eu-west-1');
        } else {
          expect(r.http_response).toBe('denied_response');
        }
      }),
      { numRuns: FUZZ_RUNS },
    );
  }, FUZZ_TIMEOUT_MS);
});
