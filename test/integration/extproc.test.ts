// The ExternalProcessor over a real gRPC server on port 0: every message answered in order, and a
// stream that goes wrong ends with a gRPC error, never with OK (Envoy would continue unprocessed).
import { credentials, status, type ClientDuplexStream } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { envoyGrpc } from '../../src/envoy/protos.js';
import { toStruct } from '../../src/envoy/struct.js';
import type { ProcessingRequest } from '../../src/envoy/generated/envoy/service/ext_proc/v3/ProcessingRequest.js';
import type { ProcessingResponse__Output } from '../../src/envoy/generated/envoy/service/ext_proc/v3/ProcessingResponse.js';
import { parseConfig } from '../../src/config/load.js';
import { createLogger } from '../../src/logging/logger.js';
import { startServer, type RunningServer } from '../../src/server.js';
import { rawTestConfig } from '../support/config.js';
import { createTestIssuer } from '../support/issuer.js';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

let server: RunningServer;

beforeAll(async () => {
  const issuer = await createTestIssuer();
  const raw = rawTestConfig(issuer, join(await mkdtemp(join(tmpdir(), 'rg-extproc-')), 'audit.jsonl')) as Record<string, unknown>;
  raw.masking = { profiles: { pii: { detectors: { email: 'redact' } } } };
  server = await startServer(parseConfig(raw, issuer.dir), createLogger('silent'));
});

afterAll(async () => {
  await server?.shutdown();
});

type Stream = ClientDuplexStream<ProcessingRequest, ProcessingResponse__Output>;

function open(): { stream: Stream; answers: ProcessingResponse__Output[]; ended: Promise<{ code: number; details: string }> } {
  const Processor = envoyGrpc().envoy.service.ext_proc.v3.ExternalProcessor;
  const client = new Processor(server.address, credentials.createInsecure());
  const stream = client.Process() as Stream;
  const answers: ProcessingResponse__Output[] = [];
  stream.on('data', (a: ProcessingResponse__Output) => answers.push(a));
  const ended = new Promise<{ code: number; details: string }>((resolve) => {
    stream.on('status', (s: { code: number; details: string }) => {
      client.close();
      resolve(s);
    });
    stream.on('error', () => undefined);
  });
  return { stream, answers, ended };
}

const metadata = {
  filter_metadata: {
    'envoy.filters.http.ext_authz': toStruct({ residency: { decision: 'allow', request_id: 'rq', mask_request: 'pii', mask_response: null } }),
  },
};

describe('ExternalProcessor/Process', () => {
  it('answers each message with its own type, in order, then ends OK after Envoy half-closes', async () => {
    const { stream, answers, ended } = open();
    stream.write({ request_headers: { headers: { headers: [{ key: 'content-type', raw_value: Buffer.from('text/plain') }] } }, metadata_context: metadata });
    stream.write({ request_body: { body: Buffer.from('mail me at ann@'), end_of_stream: false } });
    stream.write({ request_body: { body: Buffer.from('example.org ok'), end_of_stream: true } });
    stream.write({ response_headers: { headers: { headers: [] }, end_of_stream: true } });
    stream.end();
    expect((await ended).code).toBe(status.OK);
    expect(answers.map((a) => a.response)).toEqual(['request_headers', 'request_body', 'request_body', 'response_headers']);
    const body = answers
      .slice(1, 3)
      .map((a) => a.request_body?.response?.body_mutation)
      .map((m) => (m?.clear_body ? '' : (m?.body?.toString() ?? '')))
      .join('');
    expect(body).toBe('mail me at [EMAIL] ok');
  });

  it.each([
    ['a body before its headers', [{ request_body: { body: Buffer.from('x'), end_of_stream: true } }]],
    ['a second request_headers', [{ request_headers: { headers: { headers: [] } }, metadata_context: metadata }, { request_headers: { headers: { headers: [] } }, metadata_context: metadata }]],
    ['a message with nothing set', [{}]],
  ])('ends the stream with an error status, not OK, on %s', async (_name, messages) => {
    const { stream, ended } = open();
    for (const m of messages) stream.write(m as ProcessingRequest);
    const result = await ended;
    expect(result.code).not.toBe(status.OK);
    stream.end();
  });
});
