// The per-stream state machine, message by message, as Envoy drives it.
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { StreamProcessor, ProtocolError } from '../../../src/extproc/processor.js';
import type { PayloadReport } from '../../../src/extproc/payload-report.js';
import type { ProcessingRequest__Output } from '../../../src/envoy/generated/envoy/service/ext_proc/v3/ProcessingRequest.js';
import type { ProcessingResponse } from '../../../src/envoy/generated/envoy/service/ext_proc/v3/ProcessingResponse.js';
import type { MaskingProfile } from '../../../src/masking/types.js';
import { toStruct } from '../../../src/envoy/struct.js';
import { networkMap } from '../../../src/policy/networks.js';

const networks = networkMap([{ cidr: '10.20.0.0/16', region: 'us-east-1' }]);
const email = { name: 'email', label: '[EMAIL]', pattern: /(?<![\w.+-])[\w.+-]{1,64}@[\w-]{1,63}(?:\.[\w-]{1,63}){1,8}(?![\w-])/g, maxLength: 200 };
const profile: MaskingProfile = { name: 'pii', rules: [{ detector: email, action: 'redact' }], fieldNames: [], fieldPaths: [] };

function metadata(mask: { request?: string; response?: string } = {}, decision = 'allow') {
  return {
    filter_metadata: {
      'envoy.filters.http.ext_authz': toStruct({
        residency: { decision, request_id: 'r-1', origin_region: 'eu-west-1', target: 't', target_region: 'eu-west-1', mask_request: mask.request ?? null, mask_response: mask.response ?? null },
      }),
    },
    typed_filter_metadata: {},
  } as unknown as ProcessingRequest__Output['metadata_context'];
}

const headers = (phase: 'request_headers' | 'response_headers', h: Record<string, string>, end = false, meta?: ReturnType<typeof metadata>) =>
  ({
    request: phase,
    [phase]: { headers: { headers: Object.entries(h).map(([key, v]) => ({ key, value: '', raw_value: Buffer.from(v) })) }, end_of_stream: end },
    metadata_context: meta ?? null,
  }) as unknown as ProcessingRequest__Output;

const body = (phase: 'request_body' | 'response_body', text: string | Buffer, end: boolean) =>
  ({ request: phase, [phase]: { body: Buffer.from(text), end_of_stream: end } }) as unknown as ProcessingRequest__Output;

function setup() {
  const reports: PayloadReport[] = [];
  const processor = new StreamProcessor({ profiles: new Map([['pii', profile]]), networks, report: async (r) => void reports.push(r) });
  return { processor, reports };
}

const common = (r: ProcessingResponse, phase: keyof ProcessingResponse) => (r[phase] as { response?: { body_mutation?: { body?: Buffer; clear_body?: boolean }; header_mutation?: { set_headers?: Array<{ header: { key: string; raw_value: Buffer } }>; remove_headers?: string[] } | null } }).response;
const bodyOf = (r: ProcessingResponse, phase: 'request_body' | 'response_body') => {
  const m = common(r, phase)?.body_mutation;
  return m?.clear_body ? '' : m?.body?.toString();
};

describe('StreamProcessor', () => {
  it('masks a buffered JSON response, sets content-length, strips accept-encoding, reports hashes', async () => {
    const { processor, reports } = setup();
    const reqH = await processor.handle(headers('request_headers', { ':method': 'GET', 'accept-encoding': 'gzip' }, true, metadata({ response: 'pii' })));
    expect(common(reqH, 'request_headers')?.header_mutation?.remove_headers).toContain('accept-encoding');
    const resH = await processor.handle(headers('response_headers', { 'content-type': 'application/json', 'content-length': '31' }));
    expect(common(resH, 'response_headers')?.header_mutation?.remove_headers).toContain('content-length');
    const resB = await processor.handle(body('response_body', '{"contact":"alice@example.com"}', true));
    const out = bodyOf(resB, 'response_body');
    expect(JSON.parse(out ?? '')).toEqual({ contact: '[EMAIL]' });
    const cl = common(resB, 'response_body')?.header_mutation?.set_headers?.find((h) => h.header.key === 'content-length');
    expect(cl?.header.raw_value.toString()).toBe(String(Buffer.byteLength(out ?? '')));
    expect(reports).toHaveLength(1);
    expect(reports[0]).toMatchObject({ outcome: 'complete', code: null, response: { masked: { email: 1 }, profile: 'pii' } });
    expect(reports[0]?.response?.summary.bytes_received).toBe(31);
  });

  it('holds back a value split across streamed chunks and releases it masked', async () => {
    const { processor } = setup();
    await processor.handle(headers('request_headers', { 'content-type': 'text/plain' }, false, metadata({ request: 'pii' })));
    const parts = ['write to bob@exa', 'mple.org today', ''];
    let delivered = '';
    for (const [i, p] of parts.entries()) delivered += bodyOf(await processor.handle(body('request_body', p, i === parts.length - 1)), 'request_body') ?? '';
    expect(delivered).toBe('write to [EMAIL] today');
  });

  it('passes an unmasked body unchanged but still hashes it', async () => {
    const { processor, reports } = setup();
    await processor.handle(headers('request_headers', {}, true, metadata()));
    await processor.handle(headers('response_headers', { 'content-type': 'image/png' }));
    const r = await processor.handle(body('response_body', Buffer.from([0x89, 0x50]), true));
    expect(common(r, 'response_body')?.body_mutation).toBeUndefined();
    const sha = createHash('sha256').update(Buffer.from([0x89, 0x50])).digest('hex');
    expect(reports[0]?.response?.summary).toEqual({ sha256_received: sha, sha256_delivered: sha, bytes_received: 2, bytes_delivered: 2 });
  });

  it('decodes a gzip response it must mask and drops content-encoding', async () => {
    const { processor } = setup();
    await processor.handle(headers('request_headers', {}, true, metadata({ response: 'pii' })));
    const h = await processor.handle(headers('response_headers', { 'content-type': 'text/plain', 'content-encoding': 'gzip' }));
    expect(common(h, 'response_headers')?.header_mutation?.remove_headers).toEqual(expect.arrayContaining(['content-encoding', 'content-length']));
    const r = await processor.handle(body('response_body', gzipSync('mail carol@example.net now'), true));
    expect(bodyOf(r, 'response_body')).toBe('mail [EMAIL] now');
  });

  it.each([
    ['an unknown content-encoding', { 'content-type': 'text/plain', 'content-encoding': 'zstd' }, 502, 'RESPONSE_BODY_NOT_INSPECTABLE'],
    ['a binary body', { 'content-type': 'application/octet-stream' }, 502, 'RESPONSE_BODY_NOT_INSPECTABLE'],
  ])('blocks a response with %s when it must be masked', async (_n, h, status, code) => {
    const { processor, reports } = setup();
    await processor.handle(headers('request_headers', {}, true, metadata({ response: 'pii' })));
    const r = await processor.handle(headers('response_headers', h));
    expect(r.immediate_response?.status?.code).toBe(status);
    expect(JSON.parse(r.immediate_response?.body?.toString() ?? '')).toMatchObject({ code, request_id: 'r-1' });
    expect(reports[0]).toMatchObject({ outcome: 'blocked', code });
  });

  it('blocks invalid JSON that must be masked with 502 and a clear code', async () => {
    const { processor } = setup();
    await processor.handle(headers('request_headers', {}, true, metadata({ response: 'pii' })));
    await processor.handle(headers('response_headers', { 'content-type': 'application/json' }));
    const r = await processor.handle(body('response_body', '{"a": ', true));
    expect(JSON.parse(r.immediate_response?.body?.toString() ?? '')).toMatchObject({ code: 'RESPONSE_BODY_INVALID' });
  });

  it('blocks with 403 when no allow decision was forwarded (fail closed)', async () => {
    for (const meta of [undefined, metadata({}, 'deny')]) {
      const { processor } = setup();
      const r = await processor.handle(headers('request_headers', {}, false, meta));
      expect(r.immediate_response?.status?.code).toBe(403);
      expect(JSON.parse(r.immediate_response?.body?.toString() ?? '')).toMatchObject({ code: 'DECISION_MISSING' });
    }
  });

  it('passes ext_authz’s own deny reply (a response with no request before it) unmasked, hashed', async () => {
    const { processor, reports } = setup();
    const h = await processor.handle(headers('response_headers', { 'content-type': 'application/json' }, false, metadata({ response: 'pii' }, 'deny')));
    expect(h.response_headers).toBeDefined();
    const r = await processor.handle(body('response_body', '{"code":"RESIDENCY_CROSS_REGION","note":"a@b.co"}', true));
    expect(common(r, 'response_body')?.body_mutation).toBeUndefined();
    expect(reports[0]).toMatchObject({ outcome: 'complete', request: null, response: { profile: null } });
  });

  it('masks a response that arrives without request headers when the decision allowed it', async () => {
    const { processor } = setup();
    await processor.handle(headers('response_headers', { 'content-type': 'text/plain' }, false, metadata({ response: 'pii' })));
    const r = await processor.handle(body('response_body', 'to a@b.co', true));
    expect(bodyOf(r, 'response_body')).toBe('to [EMAIL]');
  });

  it('passes a reply Envoy made before ext_authz (jwt_authn’s 401: no decision at all) unmasked, hashed', async () => {
    const { processor, reports } = setup();
    const h = await processor.handle(headers('response_headers', { 'content-type': 'text/plain' }, false));
    expect(h.response_headers).toBeDefined();
    const r = await processor.handle(body('response_body', 'Jwt is missing', true));
    expect(common(r, 'response_body')?.body_mutation).toBeUndefined();
    expect(reports[0]).toMatchObject({ outcome: 'complete', context: undefined, response: { profile: null } });
  });

  it('blocks when the decision names a profile this replica does not have', async () => {
    const { processor } = setup();
    const r = await processor.handle(headers('request_headers', {}, false, metadata({ request: 'nope' })));
    expect(JSON.parse(r.immediate_response?.body?.toString() ?? '')).toMatchObject({ code: 'MASKING_PROFILE_UNKNOWN' });
  });

  it('rejects messages out of order as protocol errors', async () => {
    const body1 = setup();
    await expect(body1.processor.handle(body('request_body', 'x', true))).rejects.toThrow(ProtocolError);
    const twice = setup();
    await twice.processor.handle(headers('request_headers', {}, false, metadata()));
    await expect(twice.processor.handle(headers('request_headers', {}, false, metadata()))).rejects.toThrow(ProtocolError);
    const after = setup();
    await after.processor.handle(headers('request_headers', {}, false, metadata()));
    await after.processor.handle(body('request_body', 'x', true));
    await expect(after.processor.handle(body('request_body', 'y', false))).rejects.toThrow(ProtocolError);
  });

  const attributes = (fields: Record<string, string>) => ({ 'envoy.filters.http.ext_proc': toStruct(fields) });
  const responseFrom = (fields: Record<string, string>) => ({ ...headers('response_headers', {}, true), attributes: attributes(fields) }) as unknown as ProcessingRequest__Output;

  it('withholds a response that came from a host in another region (locality), recording a violation', async () => {
    const { processor, reports } = setup();
    await processor.handle(headers('request_headers', {}, true, metadata()));
    const r = await processor.handle(responseFrom({ 'upstream.address': '127.0.0.1:8082', 'upstream.locality': 'region: "us-east-1" zone: "b" ', 'xds.cluster_name': 'crm_failover' }));
    expect(r.immediate_response?.status?.code).toBe(502);
    expect(JSON.parse(r.immediate_response?.body?.toString() ?? '')).toMatchObject({ code: 'RESIDENCY_PATH_VIOLATION' });
    expect(reports[0]).toMatchObject({ outcome: 'violation', upstream: { address: '127.0.0.1:8082', cluster: 'crm_failover', region: 'us-east-1' } });
  });

  it('maps an address without locality through the policy networks; same region passes', async () => {
    const violation = setup();
    await violation.processor.handle(headers('request_headers', {}, true, metadata()));
    const blocked = await violation.processor.handle(responseFrom({ 'upstream.address': '10.20.1.2:443' }));
    expect(blocked.immediate_response?.status?.code).toBe(502);
    const fine = setup();
    await fine.processor.handle(headers('request_headers', {}, true, metadata()));
    const passed = await fine.processor.handle(responseFrom({ 'upstream.address': '127.0.0.1:80', 'upstream.locality': 'region: "eu-west-1" ' }));
    expect(passed.response_headers).toBeDefined();
    expect(fine.reports[0]).toMatchObject({ outcome: 'complete', upstream: { region: 'eu-west-1' } });
  });

  it('blocks with AUDIT_UNAVAILABLE when the payload record cannot be written', async () => {
    const processor = new StreamProcessor({ profiles: new Map(), networks, report: () => Promise.reject(new Error('disk full')) });
    await processor.handle(headers('request_headers', {}, true, metadata()));
    const r = await processor.handle(headers('response_headers', {}, true));
    expect(r.immediate_response?.status?.code).toBe(503);
    expect(JSON.parse(r.immediate_response?.body?.toString() ?? '')).toMatchObject({ code: 'AUDIT_UNAVAILABLE' });
  });
});
