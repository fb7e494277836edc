// Shared by the audit tests: entries of each kind, temp trails, signing keys on disk, and an
// openFile that can be told to fail the way a full or broken disk does.
import { open, mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportJWK, generateKeyPair } from 'jose';
import { lineHash } from '../../../src/audit/chain.js';
import { GENESIS_HASH, type ApprovalEntry, type DecisionEntry, type PayloadEntry } from '../../../src/audit/record.js';
import type { OpenFile } from '../../../src/audit/trail-file.js';

export const decision = (request_id: string, over: Partial<DecisionEntry> = {}): DecisionEntry => ({
  kind: 'decision', request_id, subject: 'alice', issuer: 'https://iss', identity_source: 'token', origin_region: 'eu-west-1', target: 'crm-eu',
  target_region: 'eu-west-1', decision: 'allow', rule: 'same-region', code: null, method: 'GET', authority: 'crm.eu.example.com', path: '/',
  ...over,
});

export const payload = (request_id: string): PayloadEntry => ({
  kind: 'payload', request_id, origin_region: 'eu-west-1', target: 'crm-eu', target_region: 'eu-west-1',
  request: { sha256_received: 'a'.repeat(64), sha256_delivered: 'b'.repeat(64), bytes_received: 120, bytes_delivered: 100 },
  response: null, masked: { request: { email: 2 }, response: {} }, profile: 'default', outcome: 'complete', code: null,
  upstream: { address: '10.1.2.3:443', cluster: 'crm_eu', region: 'eu-west-1' },
});

export const approval = (ticket: string): ApprovalEntry => ({
  kind: 'approval', ticket, event: 'requested', actor: 'alice', actor_issuer: 'https://issuer.example', request_id: 'r-1',
  subject: 'alice', issuer: 'https://issuer.example', origin_region: 'eu-west-1', target: 'analytics-us', target_region: 'us-east-1',
  comment: 'quarterly report', grant_expires_at: null, grant_uses: null,
});

export async function tempDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'rg-audit-'));
}

export async function lines(file: string): Promise<string[]> {
  return (await readFile(file, 'utf8')).split('\n').filter((l) => l !== '');
}

export async function records(file: string): Promise<Array<Record<string, unknown> & { seq: number; kind: string; prev: string }>> {
  return (await lines(file)).map((l) => JSON.parse(l) as Record<string, unknown> & { seq: number; kind: string; prev: string });
}

/** Every .jsonl file in `dir` (live and rotated), in name order. */
export async function trailIn(dir: string): Promise<string[]> {
  return (await readdir(dir)).filter((n) => n.endsWith('.jsonl')).sort().map((n) => join(dir, n));
}

export interface KeyFiles {
  readonly privateFile: string;
  readonly publicFile: string;
}

/** A fresh Ed25519 key pair as JWK files in `dir`. */
export async function signingKey(dir: string, kid = 'test-audit'): Promise<KeyFiles> {
  const { privateKey, publicKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
  const privateFile = join(dir, `${kid}.private.jwk.json`);
  const publicFile = join(dir, `${kid}.public.jwk.json`);
  await writeFile(privateFile, JSON.stringify({ ...(await exportJWK(privateKey)), kid }));
  await writeFile(publicFile, JSON.stringify({ ...(await exportJWK(publicKey)), kid }));
  return { privateFile, publicFile };
}

export type Fault = 'write' | 'datasync' | 'open' | undefined;

/**
 * An openFile whose handles fail on demand with `code`: 'write' writes half the bytes then fails
 * (as a disk that fills up mid-write), 'datasync' fails the flush, 'open' fails opening.
 */
export function faultyDisk(code = 'ENOSPC'): { openFile: OpenFile; set(fault: Fault): void; readonly writes: number } {
  let fault: Fault;
  let writes = 0;
  const error = (syscall: string): NodeJS.ErrnoException => Object.assign(new Error(`${code}: injected, ${syscall}`), { code, syscall });
  const wrap = (handle: FileHandle): FileHandle =>
    new Proxy(handle, {
      get(target, prop) {
        if (prop === 'write') {
          return async (buf: Buffer, offset = 0, length = buf.length - offset) => {
            writes += 1;
            if (fault !== 'write') return target.write(buf, offset, length);
            await target.write(buf, offset, Math.floor(length / 2));
            throw error('write');
          };
        }
        if (prop === 'datasync') return async () => (fault === 'datasync' ? Promise.reject(error('fdatasync')) : target.datasync());
        const value: unknown = Reflect.get(target, prop, target);
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
  return {
    openFile: async (path, flags, mode) => {
      if (fault === 'open') throw error('open');
      return wrap(await open(path, flags, mode));
    },
    set: (f) => {
      fault = f;
    },
    get writes() {
      return writes;
    },
  };
}

export async function waitFor(condition: () => boolean | Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/**
 * Checks the chain by hand, independently of src/audit/verify.ts: the files' lines in order of
 * their first seq, each seq one more than the last, each prev the hash of the line before.
 * Returns the records.
 */
export async function expectChained(files: readonly string[], opts: { fromGenesis?: boolean } = {}): Promise<Array<Record<string, unknown> & { seq: number; kind: string }>> {
  const perFile = await Promise.all(files.map(async (f) => lines(f)));
  const ordered = perFile.filter((l) => l.length > 0).sort((a, b) => seqOf(a[0]) - seqOf(b[0])).flat();
  const out: Array<Record<string, unknown> & { seq: number; kind: string }> = [];
  ordered.forEach((line, i) => {
    const r = JSON.parse(line) as Record<string, unknown> & { seq: number; kind: string; prev: string };
    if (i === 0) {
      if (opts.fromGenesis !== false && r.prev !== GENESIS_HASH) throw new Error(`first record seq ${r.seq} does not start at genesis`);
    } else {
      const before = ordered[i - 1] ?? '';
      if (r.seq !== seqOf(before) + 1) throw new Error(`seq ${r.seq} follows seq ${seqOf(before)}`);
      if (r.prev !== lineHash(before)) throw new Error(`seq ${r.seq} does not link to seq ${seqOf(before)}`);
    }
    out.push(r);
  });
  return out;
}

function seqOf(line: string | undefined): number {
  return (JSON.parse(line ?? '{}') as { seq: number }).seq;
}
