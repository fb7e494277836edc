// The real server on port 0, asked by a gRPC client with Envoy-shaped CheckRequests.
import { readFile } from 'node:fs/promises';
import type { Client } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logging/logger.js';
import { startServer, type RunningServer } from '../../src/server.js';
import type { AuthorizationClient } from '../../src/envoy/generated/envoy/service/auth/v3/Authorization.js';
import type { CheckResponse__Output } from '../../src/envoy/generated/envoy/service/auth/v3/CheckResponse.js';
import { testConfig } from '../support/config.js';
import { authorizationClient, checkOnce, envoyCheckRequest, healthClient, reflectionClient } from '../support/grpc-clients.js';
import { createTestIssuer, unsignedToken, type TestIssuer } from '../support/issuer.js';

let server: RunningServer;
let client: AuthorizationClient;
let issuer: TestIssuer;
let auditFile: string;

beforeAll(async () => {
  issuer = await createTestIssuer();
  const made = await testConfig(issuer);
  auditFile = made.auditFile;
  server = await startServer(made.config, createLogger('silent'));
  client = authorizationClient(server.address);
});

afterAll(async () => {
  client?.close();
  await server?.shutdown();
});

const headersOf = (r: CheckResponse__Output) =>
  Object.fromEntries((r.ok_response?.headers ?? r.denied_response?.headers ?? []).map((h) => [h.header?.key, h.header?.value]));
const bodyOf = (r: CheckResponse__Output) => JSON.parse(r.denied_response?.body ?? 'null') as Record<string, unknown>;

describe('Check', () => {
  it('allows an EU caller to an EU target, with residency headers and metadata', async () => {
    const token = await issuer.mint({ region: 'eu-west-1' });
    const r = await checkOnce(client, envoyCheckRequest({ token, authority: 'crm.eu.example.com', requestId: 'allow-1' }));
    expect(r.status?.code).toBe(0);
    expect(r.http_response).toBe('ok_response');
    expect(headersOf(r)).toEqual({
      'x-residency-origin-region': 'eu-west-1',
      'x-residency-target': 'crm-eu',
      'x-residency-target-region': 'eu-west-1',
      'x-residency-decision': 'allow',
      'x-residency-rule': 'same-region',
    });
    const meta = r.dynamic_metadata?.fields?.residency?.structValue?.fields;
    expect(meta?.decision?.stringValue).toBe('allow');
    expect(meta?.request_id?.stringValue).toBe('allow-1');
  });

  it('denies an EU caller to a US target with 403 and the JSON body', async () => {
    const token = await issuer.mint({ region: 'eu-west-1' });
    const r = await checkOnce(client, envoyCheckRequest({ token, authority: 'api.us.example.com', requestId: 'deny-1' }));
    expect(r.status?.code).toBe(7);
    expect(r.denied_response?.status?.code).toBe('Forbidden');
    expect(bodyOf(r)).toEqual({
      code: 'RESIDENCY_CROSS_REGION',
      message: 'The request would send data outside its approved region.',
      origin_region: 'eu-west-1',
      target: 'analytics-us',
      target_region: 'us-east-1',
      request_id: 'deny-1',
    });
  });

  it('takes the target from the route context_extensions before the policy table', async () => {
    const token = await issuer.mint({ region: 'us-east-1' });
    const r = await checkOnce(client, envoyCheckRequest({ token, authority: 'crm.eu.example.com', context: { 'residency.target': 'reports', 'residency.region': 'us-east-1' } }));
    expect(r.status?.code).toBe(0);
    expect(headersOf(r)['x-residency-target']).toBe('reports');
  });

  it('removes client-sent x-residency-* headers on allow', async () => {
    const token = await issuer.mint({ region: 'eu-west-1' });
    const r = await checkOnce(client, envoyCheckRequest({ token, authority: 'crm.eu.example.com', headers: { 'x-residency-origin-region': 'us-east-1', 'x-residency-approved-ticket': 't-1' } }));
    expect(r.ok_response?.headers_to_remove).toEqual(['x-residency-approved-ticket']);
    expect(headersOf(r)['x-residency-origin-region']).toBe('eu-west-1');
  });

  it.each([
    ['no token', undefined, 'TOKEN_MISSING'],
    ['alg none', unsignedToken({ iss: 'https://issuer.test.residency-gate', aud: 'residency-gate', sub: 'x', region: 'eu-west-1', exp: 9999999999 }), 'TOKEN_ALGORITHM_NOT_ALLOWED'],
    ['garbage', 'not-a-jwt', 'TOKEN_MALFORMED'],
  ])('denies %s with 401, www-authenticate and the reason code', async (_name, token, code) => {
    const r = await checkOnce(client, envoyCheckRequest({ token, authority: 'crm.eu.example.com' }));
    expect(r.status?.code).toBe(16);
    expect(r.denied_response?.status?.code).toBe('Unauthorized');
    expect(headersOf(r)['www-authenticate']).toBe('Bearer error="invalid_token"');
    expect(bodyOf(r).code).toBe(code);
  });

  it('denies a forged, an expired and a wrong-audience token with their codes', async () => {
    const cases: Array<[Promise<string>, string]> = [
      [issuer.forge({ region: 'eu-west-1' }), 'TOKEN_SIGNATURE_INVALID'],
      [issuer.mint({ region: 'eu-west-1' }, { expiresIn: Math.floor(Date.now() / 1000) - 3600 }), 'TOKEN_EXPIRED'],
      [issuer.mint({ region: 'eu-west-1' }, { audience: 'someone-else' }), 'TOKEN_AUDIENCE_INVALID'],
      [issuer.mint({ region: 'eu-west-1' }, { issuer: 'https://evil.example' }), 'TOKEN_ISSUER_UNKNOWN'],
      [issuer.mint({}), 'TOKEN_REGION_MISSING'],
    ];
    for (const [tokenPromise, code] of cases) {
      const r = await checkOnce(client, envoyCheckRequest({ token: await tokenPromise, authority: 'crm.eu.example.com' }));
      expect(bodyOf(r).code, code).toBe(code);
      expect(r.denied_response?.status?.code).toBe('Unauthorized');
    }
  });

  it('denies an unknown target with TARGET_UNKNOWN', async () => {
    const token = await issuer.mint({ region: 'eu-west-1' });
    const r = await checkOnce(client, envoyCheckRequest({ token, authority: 'elsewhere.example.org' }));
    expect(r.denied_response?.status?.code).toBe('Forbidden');
    expect(bodyOf(r).code).toBe('TARGET_UNKNOWN');
  });

  it('writes one chained decision record per Check, without the token', async () => {
    const token = await issuer.mint({ region: 'eu-west-1', sub: 'audited-user' });
    await checkOnce(client, envoyCheckRequest({ token, authority: 'api.us.example.com', requestId: 'audit-me' }));
    const text = await readFile(auditFile, 'utf8');
    expect(text).not.toContain(token);
    const record = text.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>).find((r) => r.request_id === 'audit-me');
    expect(record).toMatchObject({
      kind: 'decision', subject: 'audited-user', issuer: 'https://issuer.test.residency-gate', origin_region: 'eu-west-1',
      target: 'analytics-us', target_region: 'us-east-1', decision: 'deny', code: 'RESIDENCY_CROSS_REGION', rule: 'default',
    });
  });
});

describe('health and reflection', () => {
  const unary = <T>(c: Client, method: string, req: object): Promise<T> =>
    new Promise((resolve, reject) => (c as unknown as Record<string, (r: object, cb: (e: Error | null, v: T) => void) => void>)[method]!(req, (e, v) => (e ? reject(e) : resolve(v))));

  it('reports SERVING overall and for Authorization', async () => {
    const health = healthClient(server.address);
    expect(await unary<{ status: string }>(health, 'Check', { service: '' })).toEqual({ status: 'SERVING' });
    expect(await unary<{ status: string }>(health, 'Check', { service: 'envoy.service.auth.v3.Authorization' })).toEqual({ status: 'SERVING' });
    health.close();
  });

  it('lists Authorization, Health and reflection itself', async () => {
    const reflection = reflectionClient(server.address);
    const stream = (reflection as unknown as { ServerReflectionInfo(): NodeJS.ReadWriteStream & { write(m: object): void; end(): void } }).ServerReflectionInfo();
    const answer = new Promise<{ list_services_response: { service: Array<{ name: string }> } }>((resolve, reject) => {
      stream.on('data', resolve);
      stream.on('error', reject);
    });
    stream.write({ list_services: '' });
    const names = (await answer).list_services_response.service.map((s) => s.name);
    stream.end();
    reflection.close();
    expect(names).toEqual(expect.arrayContaining(['envoy.service.auth.v3.Authorization', 'grpc.health.v1.Health', 'grpc.reflection.v1.ServerReflection']));
  });
});
