// Every policy outcome as Envoy receives it: what passes, with which headers and metadata, and what
// the audit trail calls it.
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { createLogger } from '../../src/logging/logger.js';
import { startServer, type RunningServer } from '../../src/server.js';
import type { AuthorizationClient } from '../../src/envoy/generated/envoy/service/auth/v3/Authorization.js';
import type { CheckResponse__Output } from '../../src/envoy/generated/envoy/service/auth/v3/CheckResponse.js';
import { fromStruct } from '../../src/envoy/struct.js';
import { rawTestConfig } from '../support/config.js';
import { outcomesPolicy } from '../support/policies.js';
import { authorizationClient, checkOnce, envoyCheckRequest } from '../support/grpc-clients.js';
import { createTestIssuer, type TestIssuer } from '../support/issuer.js';

let server: RunningServer;
let client: AuthorizationClient;
let issuer: TestIssuer;
let auditFile: string;

beforeAll(async () => {
  issuer = await createTestIssuer();
  auditFile = join(await mkdtemp(join(tmpdir(), 'rg-outcomes-')), 'audit.jsonl');
  const raw = rawTestConfig(issuer, auditFile) as Record<string, unknown>;
  raw.policy = outcomesPolicy();
  raw.masking = { profiles: { pii: { detectors: { email: 'redact' } } } };
  server = await startServer(parseConfig(raw, issuer.dir), createLogger('silent'));
  client = authorizationClient(server.address);
});

afterAll(async () => {
  client?.close();
  await server?.shutdown();
});

const headersOf = (r: CheckResponse__Output) => Object.fromEntries((r.ok_response?.headers ?? []).map((h) => [h.header?.key, h.header?.value]));
const metaOf = (r: CheckResponse__Output) => fromStruct(r.dynamic_metadata).residency as Record<string, unknown>;

async function ask(region: string, authority: string, requestId: string) {
  const token = await issuer.mint({ region });
  return checkOnce(client, envoyCheckRequest({ token, authority, requestId }));
}

async function audited(requestId: string) {
  const lines = (await readFile(auditFile, 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  return lines.find((r) => r.kind === 'decision' && r.request_id === requestId);
}

describe('Check outcomes', () => {
  it('allow-masked passes and names the profile ext_proc must apply to the request body', async () => {
    const r = await ask('us-east-1', 'crm.eu.example.com', 'masked-1');
    expect(r.status?.code).toBe(0);
    expect(headersOf(r)).toMatchObject({ 'x-residency-decision': 'allow-masked', 'x-residency-rule': 'us-pii-to-eu-masked' });
    expect(metaOf(r)).toMatchObject({ decision: 'allow-masked', mask_request: 'pii' });
    expect(await audited('masked-1')).toMatchObject({ decision: 'allow-masked', rule: 'us-pii-to-eu-masked' });
  });

  it('reroute passes with the route header of the endpoint in the caller’s region', async () => {
    const r = await ask('eu-west-1', 'llm.example.com', 'reroute-1');
    expect(r.status?.code).toBe(0);
    expect(headersOf(r)).toMatchObject({ 'x-residency-decision': 'reroute', 'x-residency-route': 'llm-eu', 'x-residency-route-region': 'eu-west-1' });
    expect(metaOf(r)).toMatchObject({ decision: 'reroute', reroute_region: 'eu-west-1' });
    expect(await audited('reroute-1')).toMatchObject({ decision: 'reroute' });
  });

  it('a labelled allow rule lets public data cross', async () => {
    const r = await ask('eu-west-1', 'docs.us.example.com', 'public-1');
    expect(headersOf(r)).toMatchObject({ 'x-residency-decision': 'allow', 'x-residency-rule': 'public-anywhere' });
  });

  it('approval without an approvals section is a plain 403 APPROVAL_REQUIRED (no ticket), audited as approval', async () => {
    const r = await ask('eu-west-1', 'analytics.us.example.com', 'approval-1');
    expect(r.status?.code).not.toBe(0);
    expect(JSON.parse(r.denied_response?.body ?? '{}')).toMatchObject({ code: 'APPROVAL_REQUIRED' });
    expect(JSON.parse(r.denied_response?.body ?? '{}')).not.toHaveProperty('ticket');
    expect(await audited('approval-1')).toMatchObject({ decision: 'approval', code: 'APPROVAL_REQUIRED' });
  });

  it('a dry-run deny passes, marked would-deny in headers, metadata and the audit trail', async () => {
    const r = await ask('eu-west-1', 'crm.eu.example.com', 'dry-1');
    expect(r.status?.code).toBe(0);
    expect(headersOf(r)['x-residency-decision']).toBe('would-deny');
    expect(metaOf(r).decision).toBe('would-deny');
    expect(await audited('dry-1')).toMatchObject({ decision: 'would-deny' });
  });

  it('the default still denies what no rule allows', async () => {
    const r = await ask('us-east-1', 'nowhere.example.com', 'unknown-1');
    expect(JSON.parse(r.denied_response?.body ?? '{}')).toMatchObject({ code: 'TARGET_UNKNOWN' });
  });
});
