// TLS and mutual TLS on the gRPC port and the admin port, with certificates openssl makes here:
// handshakes that work, a client of another CA refused, a client name not on the list refused,
// and a certificate replaced on disk served without a restart.
import { copyFile, rename } from 'node:fs/promises';
import { request as httpsRequest } from 'node:https';
import { connect, type PeerCertificate } from 'node:tls';
import { credentials, type ChannelCredentials } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { envoyGrpc } from '../../src/envoy/protos.js';
import type { AuthorizationClient } from '../../src/envoy/generated/envoy/service/auth/v3/Authorization.js';
import { createLogger } from '../../src/logging/logger.js';
import { startServer, type RunningServer } from '../../src/server.js';
import { rawTestConfig } from '../support/config.js';
import { envoyCheckRequest } from '../support/grpc-clients.js';
import { createTestIssuer, type TestIssuer } from '../support/issuer.js';
import { createPki, type Issued, type Pki } from '../support/pki.js';

let pki: Pki;
let ca: Issued;
let otherCa: Issued;
let serverCert: Issued;
let envoyClient: Issued;
let intruderClient: Issued;
let strangerClient: Issued;
let issuer: TestIssuer;

beforeAll(async () => {
  pki = createPki();
  ca = pki.ca('ca');
  otherCa = pki.ca('other-ca');
  serverCert = pki.issue(ca, 'server', 'server', ['DNS:localhost', 'IP:127.0.0.1']);
  envoyClient = pki.issue(ca, 'envoy', 'client', ['DNS:envoy', 'URI:spiffe://test/envoy']);
  intruderClient = pki.issue(ca, 'intruder', 'client', ['DNS:intruder']);
  strangerClient = pki.issue(otherCa, 'stranger', 'client', ['DNS:envoy']);
  issuer = await createTestIssuer();
});

async function serve(tls: Record<string, unknown>, admin: Record<string, unknown> = {}): Promise<RunningServer> {
  const raw = rawTestConfig(issuer, `${pki.dir}/audit-${Math.random().toString(36).slice(2)}.jsonl`);
  const config = parseConfig({ ...raw, server: { ...(raw.server as object), tls }, admin: { listen: '127.0.0.1:0', ...admin } }, issuer.dir);
  return startServer(config, createLogger('silent'));
}

function client(address: string, creds: ChannelCredentials): AuthorizationClient {
  return new (envoyGrpc().envoy.service.auth.v3.Authorization)(address, creds, { 'grpc.max_reconnect_backoff_ms': 200, 'grpc.ssl_target_name_override': 'localhost', 'grpc.default_authority': 'localhost' });
}

async function tryCheck(address: string, creds: ChannelCredentials): Promise<{ ok: boolean; code?: number; details?: string }> {
  const c = client(address, creds);
  try {
    const token = await issuer.mint({ region: 'eu-west-1' });
    const deadline = new Date(Date.now() + 3000);
    const r = await new Promise<unknown>((resolve, reject) =>
      c.Check(envoyCheckRequest({ token, authority: 'crm.eu.example.com' }), { deadline }, (err, res) => (err ? reject(err) : resolve(res))),
    );
    return { ok: r !== undefined };
  } catch (err) {
    const e = err as { code?: number; details?: string };
    return { ok: false, code: e.code, details: e.details };
  } finally {
    c.close();
  }
}

/** The certificate a TLS server presents on a fresh connection. */
function presented(port: number, alpn = 'h2'): Promise<PeerCertificate> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, ca: ca.cert, cert: envoyClient.cert, key: envoyClient.key, ALPNProtocols: [alpn], servername: 'localhost' }, () => {
      const cert = socket.getPeerCertificate();
      socket.end();
      resolve(cert);
    });
    socket.once('error', reject);
  });
}

describe('server TLS', () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await serve({ cert_file: serverCert.certFile, key_file: serverCert.keyFile });
  });
  afterAll(() => server?.shutdown());

  it('answers a client that trusts the CA, and nothing in clear text', async () => {
    expect(await tryCheck(server.address, credentials.createSsl(ca.cert))).toEqual({ ok: true });
    const plain = await tryCheck(server.address, credentials.createInsecure());
    expect(plain.ok).toBe(false);
    expect(plain.code).toBe(14); // UNAVAILABLE: no gRPC without the handshake
  });
});

describe('mutual TLS', () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await serve({ cert_file: serverCert.certFile, key_file: serverCert.keyFile, client_ca_file: ca.certFile, allowed_client_sans: ['DNS:envoy'] });
  });
  afterAll(() => server?.shutdown());

  it('serves a client certificate of the CA with an allowed name', async () => {
    expect(await tryCheck(server.address, credentials.createSsl(ca.cert, envoyClient.key, envoyClient.cert))).toEqual({ ok: true });
  });

  it('refuses a client without a certificate, and one from another CA, in the handshake', async () => {
    const none = await tryCheck(server.address, credentials.createSsl(ca.cert));
    expect(none.ok).toBe(false);
    expect(none.code).toBe(14);
    const stranger = await tryCheck(server.address, credentials.createSsl(ca.cert, strangerClient.key, strangerClient.cert));
    expect(stranger.ok).toBe(false);
    expect(stranger.code).toBe(14);
  });

  it('refuses a certificate of the CA whose names are not allowed, with UNAUTHENTICATED, health included, and counts it', async () => {
    const intruder = await tryCheck(server.address, credentials.createSsl(ca.cert, intruderClient.key, intruderClient.cert));
    expect(intruder).toEqual({ ok: false, code: 16, details: 'client certificate not allowed' });
    const text = await server.metrics.text();
    expect(text).toMatch(/residency_gate_tls_client_rejections_total\{reason="san_not_allowed"\} [1-9]/);
    expect(text).toMatch(/residency_gate_grpc_calls_total\{method="\/envoy.service.auth.v3.Authorization\/Check",code="UNAUTHENTICATED"\} 1/);
  });
});

describe('certificate reload', () => {
  it('serves a certificate replaced on disk without a restart, on the gRPC and the admin port', async () => {
    const live = createPki(pki.dir);
    // Live files that the test replaces, as a renewal (cert-manager, a mounted secret) would.
    const certFile = `${pki.dir}/live.crt`;
    const keyFile = `${pki.dir}/live.key`;
    await copyFile(serverCert.certFile, certFile);
    await copyFile(serverCert.keyFile, keyFile);
    const tls = { cert_file: certFile, key_file: keyFile, client_ca_file: ca.certFile, reload_interval_ms: 100 };
    const server = await serve(tls, { tls });
    try {
      const adminPort = server.admin!.port;
      const before = await presented(server.port);
      expect(before.subject.CN).toBe('server');
      expect((await presented(adminPort, 'http/1.1')).subject.CN).toBe('server');

      const renewed = live.issue(ca, 'server-renewed', 'server', ['DNS:localhost', 'IP:127.0.0.1']);
      // Key first, then certificate: for a moment the pair does not match; that set is refused and
      // the old one stays in service until the certificate follows.
      await copyFile(renewed.keyFile, `${keyFile}.tmp`);
      await rename(`${keyFile}.tmp`, keyFile);
      await copyFile(renewed.certFile, `${certFile}.tmp`);
      await rename(`${certFile}.tmp`, certFile);

      await expect.poll(async () => (await presented(server.port)).subject.CN, { timeout: 5000, interval: 100 }).toBe('server-renewed');
      await expect.poll(async () => (await presented(adminPort, 'http/1.1')).subject.CN, { timeout: 5000, interval: 100 }).toBe('server-renewed');
      expect(await tryCheck(server.address, credentials.createSsl(ca.cert, envoyClient.key, envoyClient.cert))).toEqual({ ok: true });
      expect(await server.metrics.text()).toMatch(/residency_gate_tls_certificate_reloads_total\{listener="grpc",result="success"\} [1-9]/);
    } finally {
      await server.shutdown();
    }
  });

  it('refuses to start with a key that does not match its certificate, saying which listener', async () => {
    await expect(serve({ cert_file: serverCert.certFile, key_file: envoyClient.keyFile })).rejects.toThrow(/^grpc TLS: .*key values mismatch/);
  });
});

describe('admin over mutual TLS', () => {
  it('answers /healthz to a client certificate of the CA and refuses a client without one', async () => {
    const tls = { cert_file: serverCert.certFile, key_file: serverCert.keyFile, client_ca_file: ca.certFile };
    const server = await serve({ cert_file: serverCert.certFile, key_file: serverCert.keyFile }, { tls });
    const get = (withCert: boolean) =>
      new Promise<number>((resolve, reject) => {
        const req = httpsRequest({ host: '127.0.0.1', port: server.admin!.port, path: '/healthz', ca: ca.cert, servername: 'localhost', ...(withCert ? { cert: envoyClient.cert, key: envoyClient.key } : {}) }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.once('error', reject);
        req.end();
      });
    try {
      expect(server.admin!.url).toMatch(/^https:/);
      expect(await get(true)).toBe(200);
      await expect(get(false)).rejects.toThrow();
    } finally {
      await server.shutdown();
    }
  });
});
