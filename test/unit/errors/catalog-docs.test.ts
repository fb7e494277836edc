// The error catalog and docs/errors.md must agree: users match on these codes.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ERROR_CATALOG } from '../../../src/errors/catalog.js';

const GRPC_NAMES: Record<number, string> = { 3: 'INVALID_ARGUMENT', 9: 'FAILED_PRECONDITION', 7: 'PERMISSION_DENIED', 13: 'INTERNAL', 14: 'UNAVAILABLE', 16: 'UNAUTHENTICATED' };

describe('docs/errors.md', () => {
  const rows = new Map(
    readFileSync(new URL('../../../docs/errors.md', import.meta.url), 'utf8')
      .split('\n')
      .map((line) => /^\| `([A-Z_]+)` \| (\d{3}) \| ([A-Z_]+) \|/.exec(line))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => [m[1], { http: Number(m[2]), grpc: m[3] }]),
  );

  it('lists every catalog code with its HTTP and gRPC status, and nothing else', () => {
    expect([...rows.keys()].sort()).toEqual(Object.keys(ERROR_CATALOG).sort());
    for (const [code, entry] of Object.entries(ERROR_CATALOG)) {
      expect(rows.get(code), code).toEqual({ http: entry.http, grpc: GRPC_NAMES[entry.grpc] });
    }
  });
});
