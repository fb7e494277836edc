import { describe, expect, it } from 'vitest';
import { allowResponse, denyResponse } from '../../../src/authz/check-response.js';
import { ERROR_CATALOG, type ErrorCode } from '../../../src/errors/catalog.js';

describe('denyResponse', () => {
  it.each(Object.keys(ERROR_CATALOG) as ErrorCode[])('%s carries a non-OK gRPC status and its HTTP status', (code) => {
    const r = denyResponse({ code, body: { code }, metadata: {} });
    expect(r.status?.code).not.toBe(0);
    expect(r.status?.code).toBe(ERROR_CATALOG[code].grpc);
    expect(r.denied_response?.status?.code).toBe(ERROR_CATALOG[code].http);
    expect(r.ok_response).toBeUndefined();
    expect(JSON.parse(r.denied_response?.body ?? '')).toEqual({ code });
    const headers = Object.fromEntries((r.denied_response?.headers ?? []).map((h) => [h.header?.key, h.header?.value]));
    expect(headers['content-type']).toBe('application/json');
    expect(headers['www-authenticate']).toBe(ERROR_CATALOG[code].http === 401 ? 'Bearer error="invalid_token"' : undefined);
  });
});

describe('allowResponse', () => {
  it('overwrites our headers and removes the other client-sent x-residency-* headers', () => {
    const r = allowResponse({
      headers: { 'x-residency-origin-region': 'eu-west-1' },
      clientResidencyHeaders: ['x-residency-origin-region', 'x-residency-approved'],
      metadata: { decision: 'allow' },
    });
    expect(r.status?.code).toBe(0);
    expect(r.ok_response?.headers).toEqual([{ header: { key: 'x-residency-origin-region', value: 'eu-west-1' }, append_action: 'OVERWRITE_IF_EXISTS_OR_ADD' }]);
    expect(r.ok_response?.headers_to_remove).toEqual(['x-residency-approved']);
    expect(r.dynamic_metadata?.fields?.residency?.structValue?.fields?.decision?.stringValue).toBe('allow');
  });

  it('refuses to set a header outside the x-residency- prefix', () => {
    expect(() => allowResponse({ headers: { authorization: 'x' }, clientResidencyHeaders: [], metadata: {} })).toThrow(/non-residency/);
  });
});
