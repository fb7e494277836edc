// The gRPC server under abuse, in process on port 0: messages over the size limit, hundreds of
// concurrent ext_proc streams, streams that are opened and never used, connections cut mid-stream
// and a ping flood. After each, the server still answers, its open-stream gauge is back to 0, and
// the process holds no more file descriptors (counted in /proc/self/fd) than before.
import { credentials, status, type ClientDuplexStream, type ServiceError } from '@grpc/grpc-js';
import { readdir, readFile, readlink } from 'node:fs/promises';
import { mkdtemp } from 'node:fs/promises';
import { connect as http2Connect } from 'node:http2';
import { createServer as createTcpServer, connect as tcpConnect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { envoyGrpc } from '../../src/envoy/protos.js';
import { toStruct } from '../../src/envoy/struct.js';
import type { ProcessingRequest } from '../../src/envoy/generated/envoy/service/ext_proc/v3/ProcessingRequest.js';
import type { ProcessingResponse__Output } from '../../src/envoy/generated/envoy/service/ext_proc/v3/ProcessingResponse.js';
import type { ExternalProcessorClient } from '../../src/envoy/generated/envoy/service/ext_proc/v3/ExternalProcessor.js';
import { MAX_RECEIVE_MESSAGE_BYTES } from '../../src/grpc-server-options.js';
import { createLogger } from '../../src/logging/logger.js';
import { startServer, type RunningServer } from '../../src/server.js';
import { rawTestConfig } from '../support/config.js';
import { authorizationClient, checkOnce, envoyCheckRequest } from '../support/grpc-clients.js';
import { createTestIssuer, type TestIssuer } from '../support/issuer.js';

let server: RunningServer;
let issuer: TestIssuer;

beforeAll(async () => {
  issuer = await createTestIssuer();
  const raw = rawTestConfig(issuer, join(await mkdtemp(join(tmpdir(), 'rg-robust-')), 'audit.jsonl')) as Record<string, unknown>;
  raw.masking = { profiles: { pii: { detectors: { email: 'redact' } } } };
  server = await startServer(parseConfig(raw, issuer.dir), createLogger('silent'));
});

afterAll(async () => {
  await server?.shutdown();
});

// A real collection before each heap reading, so that what is measured is what is retained.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const fdCount = async (): Promise<number> => (await readdir('/proc/self/fd')).length;
/** What each open descriptor is (a socket, a pipe, a file), to name a leak when the count is off. */
const fdTargets = async (): Promise<string[]> => {
  // TCP sockets by inode: local and remote address (hex) and state, from /proc/net/tcp{,6}.
  const tcp = new Map<string, string>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of (await readFile(table, 'utf8').catch(() => '')).split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length > 9) tcp.set(f[9]!, `${f[1]} → ${f[2]} state ${f[3]}`);
    }
  }
  return Promise.all(
    (await readdir('/proc/self/fd')).map(async (fd) => {
      const target = await readlink(`/proc/self/fd/${fd}`).catch(() => '(gone)');
      const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1];
      return `${fd} → ${target}${inode && tcp.has(inode) ? ` tcp ${tcp.get(inode)}` : ''}`;
    }),
  );
};
/** Waits for the descriptor count to fall back to `before`; if it does not, names what is still open. */
async function expectDescriptorsReleased(before: number, targetsBefore: readonly string[]): Promise<void> {
  const released = await eventually(async () => (await fdCount()) <= before);
  expect(released, `descriptors before:\n${targetsBefore.join('\n')}\nafter:\n${(await fdTargets()).join('\n')}`).toBe(true);
}
const openStreams = async (): Promise<number> => (await server.metrics.grpcStreamsOpen.get()).values.reduce((sum, v) => sum + v.value, 0);

/** Waits until `probe` holds (the server notices closed connections asynchronously); a bound, not a target. */
async function eventually(probe: () => Promise<boolean>, timeoutMs = 15_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await probe()) return true;
    await sleep(50);
  }
  return probe();
}

async function stillAnswers(): Promise<void> {
  const client = authorizationClient(server.address);
  try {
    const token = await issuer.mint({ region: 'eu-west-1' });
    const answer = await checkOnce(client, envoyCheckRequest({ token, authority: 'crm.eu.example.com' }));
    expect(answer.status?.code).toBe(0);
  } finally {
    client.close();
  }
}

const metadata = {
  filter_metadata: {
    'envoy.filters.http.ext_authz': toStruct({ residency: { decision: 'allow', request_id: 'rq', target_region: 'eu-west-1', mask_request: 'pii', mask_response: 'pii' } }),
  },
};
const requestHeaders = (): ProcessingRequest => ({ request_headers: { headers: { headers: [{ key: 'content-type', raw_value: Buffer.from('text/plain') }] } }, metadata_context: metadata });

type Stream = ClientDuplexStream<ProcessingRequest, ProcessingResponse__Output>;
function extProcClient(address = server.address): ExternalProcessorClient {
  const Processor = envoyGrpc().envoy.service.ext_proc.v3.ExternalProcessor;
  // A client that may send more than the server accepts, to see the server refuse it.
  return new Processor(address, credentials.createInsecure(), { 'grpc.max_send_message_length': -1 });
}
function openStream(client: ExternalProcessorClient) {
  const stream = client.Process() as Stream;
  const answers: ProcessingResponse__Output[] = [];
  stream.on('data', (a: ProcessingResponse__Output) => answers.push(a));
  const ended = new Promise<{ code: number; details: string }>((resolve) => {
    stream.on('status', (s: { code: number; details: string }) => resolve(s));
    stream.on('error', () => undefined);
  });
  return { stream, answers, ended };
}

describe('message size limits', () => {
  it('refuses a CheckRequest with 8 MiB of headers with RESOURCE_EXHAUSTED, and keeps serving', async () => {
    const headers: Record<string, string> = {};
    for (let i = 0; i < 128; i++) headers[`x-filler-${i}`] = 'a'.repeat(64 * 1024);
    const client = authorizationClient(server.address);
    try {
      const err = await checkOnce(client, envoyCheckRequest({ authority: 'crm.eu.example.com', headers })).then(
        () => undefined,
        (e: ServiceError) => e,
      );
      expect(err?.code).toBe(status.RESOURCE_EXHAUSTED);
    } finally {
      client.close();
    }
    await stillAnswers();
  });

  it('decides a CheckRequest just under the limit (3 MiB of headers) like any other: no token, no pass', async () => {
    const headers: Record<string, string> = {};
    for (let i = 0; i < 48; i++) headers[`x-filler-${i}`] = 'a'.repeat(64 * 1024);
    const client = authorizationClient(server.address);
    try {
      const answer = await checkOnce(client, envoyCheckRequest({ authority: 'crm.eu.example.com', headers }));
      expect(answer.status?.code).not.toBe(0);
      expect(answer.denied_response).toBeTruthy();
    } finally {
      client.close();
    }
  });

  it('ends an ext_proc stream whose body chunk is over the limit with RESOURCE_EXHAUSTED, never OK', async () => {
    const client = extProcClient();
    try {
      const { stream, answers, ended } = openStream(client);
      stream.write(requestHeaders());
      stream.write({ request_body: { body: Buffer.alloc(MAX_RECEIVE_MESSAGE_BYTES + 1024 * 1024, 0x61), end_of_stream: true } });
      const end = await ended;
      expect(end.code).toBe(status.RESOURCE_EXHAUSTED);
      // Only the headers were answered; the body chunk never was.
      expect(answers.filter((a) => a.request_body !== undefined && a.request_body !== null)).toEqual([]);
    } finally {
      client.close();
    }
    await stillAnswers();
  });
});

describe('many streams', () => {
  it('serves 500 ext_proc streams open at once, each answered in order and ended OK', async () => {
    const fdsBefore = await fdCount();
    const client = extProcClient();
    try {
      const streams = Array.from({ length: 500 }, () => openStream(client));
      for (const s of streams) s.stream.write(requestHeaders());
      expect(await eventually(async () => streams.every((s) => s.answers.length === 1), 15_000)).toBe(true);
      expect(await openStreams()).toBeGreaterThanOrEqual(500);
      for (const s of streams) {
        s.stream.write({ request_body: { body: Buffer.from('mail ann@example.org'), end_of_stream: true } });
        s.stream.end();
      }
      const ends = await Promise.all(streams.map((s) => s.ended));
      expect(ends.filter((e) => e.code !== status.OK)).toEqual([]);
      for (const s of streams) expect(s.answers[1]?.request_body?.response?.body_mutation?.body?.toString()).toBe('mail [EMAIL]');
    } finally {
      client.close();
    }
    expect(await eventually(async () => (await openStreams()) === 0)).toBe(true);
    expect(await eventually(async () => (await fdCount()) <= fdsBefore)).toBe(true);
  }, 30_000);

  it('lets go of streams that were opened and never sent anything, once their client goes: memory and descriptors back near baseline', async () => {
    gc();
    const fdsBefore = await fdCount();
    const heapBefore = process.memoryUsage().heapUsed;
    for (let round = 0; round < 3; round++) {
      const clients = Array.from({ length: 5 }, () => extProcClient());
      const streams = clients.flatMap((c) => Array.from({ length: 100 }, () => openStream(c)));
      // Idle streams: nothing written. The server holds them (Envoy may be slow to send).
      expect(await eventually(async () => (await openStreams()) >= streams.length)).toBe(true);
      for (const s of streams) s.stream.cancel();
      for (const c of clients) c.close();
      await Promise.all(streams.map((s) => s.ended));
      expect(await eventually(async () => (await openStreams()) === 0)).toBe(true);
    }
    expect(await eventually(async () => (await fdCount()) <= fdsBefore)).toBe(true);
    gc();
    const grownMiB = (process.memoryUsage().heapUsed - heapBefore) / 2 ** 20;
    console.info(`1500 idle streams opened and dropped: heap ${grownMiB >= 0 ? '+' : ''}${grownMiB.toFixed(1)} MiB, descriptors ${fdsBefore} → ${await fdCount()}`);
    expect(grownMiB).toBeLessThan(8);
    await stillAnswers();
  }, 30_000);
});

describe('abrupt disconnects', () => {
  /** A TCP relay in front of the server whose connections the test can cut without any HTTP/2 goodbye. */
  async function relay(): Promise<{ address: string; connected: Promise<void>; cut: () => void; close: () => Promise<void> }> {
    const sockets = new Set<Socket>();
    const port = Number(server.address.slice(server.address.lastIndexOf(':') + 1));
    let onConnected = (): void => undefined;
    const connected = new Promise<void>((resolve) => (onConnected = resolve));
    const tcp = createTcpServer((downstream) => {
      onConnected();
      const upstream = tcpConnect(port, '127.0.0.1');
      for (const s of [downstream, upstream]) {
        sockets.add(s);
        s.on('close', () => sockets.delete(s));
        s.on('error', () => undefined);
      }
      downstream.pipe(upstream).pipe(downstream);
    });
    await new Promise<void>((resolve) => tcp.listen(0, '127.0.0.1', resolve));
    const address = tcp.address();
    if (address === null || typeof address === 'string') throw new Error('no relay address');
    return {
      address: `127.0.0.1:${address.port}`,
      connected,
      // resetAndDestroy: a TCP RST, as from a crashed peer.
      cut: () => sockets.forEach((s) => s.resetAndDestroy()),
      // The relay's own sockets go too (one the client opened after a cut would otherwise stay,
      // half-open, and count as a descriptor the server leaked); the server's side it must close itself.
      close: () =>
        new Promise<void>((resolve) => {
          sockets.forEach((s) => s.destroy());
          tcp.close(() => resolve());
        }),
    };
  }

  it('cleans up streams cut mid-body by a TCP reset: gauge back to 0, no descriptor left behind', async () => {
    const fdsBefore = await fdCount();
    const cutter = await relay();
    const client = extProcClient(cutter.address);
    try {
      const streams = Array.from({ length: 100 }, () => openStream(client));
      for (const s of streams) {
        s.stream.write(requestHeaders());
        s.stream.write({ request_body: { body: Buffer.from('first half, ann@exa'), end_of_stream: false } });
      }
      expect(await eventually(async () => streams.every((s) => s.answers.length >= 1), 10_000)).toBe(true);
      cutter.cut();
      const ends = await Promise.all(streams.map((s) => s.ended));
      // The client saw its streams fail, not end OK.
      expect(ends.filter((e) => e.code === status.OK)).toEqual([]);
    } finally {
      client.close();
      await cutter.close();
    }
    expect(await eventually(async () => (await openStreams()) === 0)).toBe(true);
    expect(await eventually(async () => (await fdCount()) <= fdsBefore)).toBe(true);
    await stillAnswers();
  }, 30_000);

  it('cleans up unary Checks whose connection is cut before the answer', async () => {
    const fdsBefore = await fdCount();
    const targetsBefore = await fdTargets();
    const cutter = await relay();
    const client = authorizationClient(cutter.address);
    try {
      const token = await issuer.mint({ region: 'eu-west-1' });
      const calls = Array.from({ length: 50 }, () => checkOnce(client, envoyCheckRequest({ token, authority: 'crm.eu.example.com' })).then(() => 'ok', () => 'error'));
      // Cut the connection the calls travel on, not before it exists.
      await cutter.connected;
      cutter.cut();
      const results = await Promise.all(calls);
      expect(results.length).toBe(50);
    } finally {
      client.close();
      await cutter.close();
    }
    expect(await eventually(async () => (await openStreams()) === 0)).toBe(true);
    await expectDescriptorsReleased(fdsBefore, targetsBefore);
    await stillAnswers();
  });
});

describe('ping flood', () => {
  it('keeps answering Checks while a client sends 20 000 HTTP/2 PINGs', async () => {
    const fdsBefore = await fdCount();
    const session = http2Connect(`http://${server.address}`);
    session.on('error', () => undefined);
    await new Promise<void>((resolve) => session.once('connect', () => resolve()));
    let acked = 0;
    let refused = 0;
    const flood = (async () => {
      for (let i = 0; i < 20_000 && !session.destroyed; i++) {
        // node allows 10 unacknowledged pings; past that ping() returns false.
        if (!session.ping(() => void acked++)) {
          refused++;
          await new Promise((r) => setImmediate(r));
        }
      }
    })();
    const started = Date.now();
    await stillAnswers();
    const checkMs = Date.now() - started;
    await flood;
    session.destroy();
    console.info(`ping flood: ${acked} pings acknowledged (${refused} held back by the client), a Check meanwhile took ${checkMs} ms`);
    expect(checkMs).toBeLessThan(2_000);
    expect(await eventually(async () => (await fdCount()) <= fdsBefore)).toBe(true);
    await stillAnswers();
  });
});
