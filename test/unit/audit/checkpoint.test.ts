// Checkpoints: when the writer signs (every N records, every T seconds, on close, after a crash)
// and what it signs.
import { appendFile, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { decodeProtectedHeader } from 'jose';
import { describe, expect, it } from 'vitest';
import { lineHash } from '../../../src/audit/chain.js';
import { loadSigningKey, loadVerifyKeys } from '../../../src/audit/checkpoint.js';
import { AuditWriter } from '../../../src/audit/writer.js';
import { decision, records, lines, signingKey, tempDir, waitFor } from './fixtures.js';

describe('checkpoints', () => {
  it('signs {head, seq, ts, file} every N records and on close', async () => {
    const dir = await tempDir();
    const key = await signingKey(dir);
    const file = join(dir, 'audit.jsonl');
    const writer = await AuditWriter.open({ file, signing_key_file: key.privateFile, checkpoint_every_records: 3 });
    for (let i = 0; i < 7; i++) await writer.append(decision(`r-${i}`));
    await writer.close();
    const written = await lines(file);
    const recs = await records(file);
    expect(recs.map((r) => r.kind)).toEqual(['decision', 'decision', 'decision', 'checkpoint', 'decision', 'decision', 'decision', 'checkpoint', 'decision', 'checkpoint']);
    const verifier = await loadVerifyKeys(key.publicFile);
    for (const [i, r] of recs.entries()) {
      if (r.kind !== 'checkpoint') continue;
      const head = lineHash(written[i - 1] ?? '');
      expect(r).toMatchObject({ head, prev: head, count: r.seq - 1 });
      expect(await verifier.verify(r.jws as string)).toEqual({ head, seq: r.seq - 1, ts: r.ts, file: 'audit.jsonl' });
      expect(decodeProtectedHeader(r.jws as string)).toEqual({ alg: 'EdDSA', kid: 'test-audit' });
    }
  });

  it('signs every T seconds while records keep coming, and not when nothing happened', async () => {
    const dir = await tempDir();
    const key = await signingKey(dir);
    const file = join(dir, 'audit.jsonl');
    const writer = await AuditWriter.open({ file, signing_key_file: key.privateFile, checkpoint_every_seconds: 0.05 });
    await writer.append(decision('a'));
    await waitFor(async () => (await records(file)).some((r) => r.kind === 'checkpoint'));
    await new Promise((r) => setTimeout(r, 150));
    expect((await records(file)).map((r) => r.kind)).toEqual(['decision', 'checkpoint']);
    await writer.close();
    expect((await records(file)).map((r) => r.kind)).toEqual(['decision', 'checkpoint']);
  });

  it('signs what a crash left uncovered before anything new, when the writer reopens', async () => {
    const dir = await tempDir();
    const key = await signingKey(dir);
    const file = join(dir, 'audit.jsonl');
    const first = await AuditWriter.open({ file });
    await first.append(decision('unsigned'));
    await first.close();
    await appendFile(file, '{"seq":2,"ts":"2026-');
    const second = await AuditWriter.open({ file, signing_key_file: key.privateFile });
    await second.append(decision('after'));
    await second.close();
    expect((await records(file)).map((r) => [r.seq, r.kind])).toEqual([[1, 'decision'], [2, 'checkpoint'], [3, 'decision'], [4, 'checkpoint']]);
  });

  it('refuses a signing key that is not a private Ed25519 JWK', async () => {
    const dir = await tempDir();
    const key = await signingKey(dir);
    await expect(loadSigningKey(key.publicFile)).rejects.toThrow(/private Ed25519 JWK/);
    await expect(loadSigningKey(join(import.meta.dirname, '../../../config/example/demo-issuer.private.jwk.json'))).rejects.toThrow(/private Ed25519 JWK/);
  });

  it('verifies with the public half taken from a private JWK, or with a JWKS that holds the key', async () => {
    const dir = await tempDir();
    const key = await signingKey(dir, 'k1');
    const other = await signingKey(dir, 'k2');
    const signer = await loadSigningKey(key.privateFile);
    const jws = await signer.sign({ head: 'c'.repeat(64), seq: 4, ts: '2026-11-29T10:00:00.000Z', file: 'audit.jsonl' });
    expect((await (await loadVerifyKeys(key.privateFile)).verify(jws)).seq).toBe(4);
    const jwksFile = join(dir, 'jwks.json');
    const pub = async (f: string): Promise<unknown> => JSON.parse(await readFile(f, 'utf8'));
    await writeFile(jwksFile, JSON.stringify({ keys: [await pub(other.publicFile), await pub(key.publicFile)] }));
    expect((await (await loadVerifyKeys(jwksFile)).verify(jws)).head).toBe('c'.repeat(64));
    await expect((await loadVerifyKeys(other.publicFile)).verify(jws)).rejects.toThrow();
  });
});
