// Audit writer numbers: records/s in each durability mode (with group commit under concurrent
// appends, until close() has made everything durable), and the latency sync adds to each append
// at a steady 1,000 appends/s — what a Check waits for its record. Not a test.
// Run: npx tsx bench/audit.ts [RECORDS] [DIR]   (DIR: a directory on the disk to measure; default the OS temp dir)
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportJWK, generateKeyPair } from 'jose';
import { loadVerifyKeys } from '../src/audit/checkpoint.js';
import type { Durability } from '../src/audit/config.js';
import type { DecisionEntry } from '../src/audit/record.js';
import { verifyTrail } from '../src/audit/verify.js';
import { AuditWriter } from '../src/audit/writer.js';

const RECORDS = Number(process.argv[2] ?? 20_000);
const BASE = process.argv[3] ?? tmpdir();
const IN_FLIGHT = 64;
const RATE_PER_S = 1000;
const PACED_SECONDS = 3;

const entry = (n: number): DecisionEntry => ({
  kind: 'decision', request_id: `bench-${n}`, subject: 'user-1234', issuer: 'https://login.example.eu', identity_source: 'token', origin_region: 'eu-west-1',
  target: 'crm-eu', target_region: 'eu-west-1', decision: 'allow', rule: 'same-region', code: null, method: 'POST',
  authority: 'crm.eu.example.com', path: `/api/v1/customers/${n}`,
});

async function withWriter<T>(durability: Durability, run: (w: AuditWriter) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(BASE, 'rg-audit-bench-'));
  try {
    const writer = await AuditWriter.open({ file: join(dir, 'audit.jsonl'), durability, batch_interval_ms: 50 });
    const result = await run(writer);
    await writer.close();
    return result;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Records per second from the first append until close() returns (everything durable). */
async function throughput(durability: Durability): Promise<number> {
  const dir = await mkdtemp(join(BASE, 'rg-audit-bench-'));
  try {
    const started = performance.now();
    const writer = await AuditWriter.open({ file: join(dir, 'audit.jsonl'), durability, batch_interval_ms: 50 });
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < RECORDS) {
        await writer.append(entry(next++));
        // batch and async resolve at once; yield as a server between requests does, so the writes run.
        if (durability !== 'sync' && next % 64 === 0) await new Promise((r) => setImmediate(r));
      }
    };
    await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
    await writer.close();
    return RECORDS / ((performance.now() - started) / 1000);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Append latencies (ms) at a steady rate, each append started on schedule whatever the others do. */
async function pacedLatencies(durability: Durability): Promise<number[]> {
  return withWriter(durability, async (writer) => {
    const total = RATE_PER_S * PACED_SECONDS;
    const latencies: number[] = [];
    const pending: Array<Promise<void>> = [];
    const start = performance.now();
    for (let n = 0; n < total; n++) {
      const due = start + (n * 1000) / RATE_PER_S;
      const wait = due - performance.now();
      if (wait > 1) await new Promise((r) => setTimeout(r, wait));
      const t0 = performance.now();
      pending.push(writer.append(entry(n)).then(() => void latencies.push(performance.now() - t0)));
    }
    await Promise.all(pending);
    return latencies;
  });
}

/** verify's speed on a signed trail (a checkpoint every 1,000 records, 4 MiB files), with the key. */
async function verifySpeed(): Promise<{ perSecond: number; files: number }> {
  const dir = await mkdtemp(join(BASE, 'rg-audit-bench-'));
  try {
    const { privateKey, publicKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
    await writeFile(join(dir, 'key.jwk'), JSON.stringify(await exportJWK(privateKey)));
    await writeFile(join(dir, 'pub.jwk'), JSON.stringify(await exportJWK(publicKey)));
    const writer = await AuditWriter.open({ file: join(dir, 'audit.jsonl'), durability: 'async', signing_key_file: join(dir, 'key.jwk'), rotate_bytes: 4 * 1024 * 1024 });
    for (let n = 0; n < RECORDS * 5; n++) {
      await writer.append(entry(n));
      if (n % 256 === 0) await new Promise((r) => setImmediate(r));
    }
    await writer.close();
    const files = (await readdir(dir)).filter((f) => f.endsWith('.jsonl')).map((f) => join(dir, f));
    const started = performance.now();
    const report = await verifyTrail(files, { verifier: await loadVerifyKeys(join(dir, 'pub.jwk')) });
    if (!report.ok) throw new Error(`bench trail did not verify: ${report.problem?.message}`);
    return { perSecond: report.records / ((performance.now() - started) / 1000), files: files.length };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

const fmt = (n: number, digits = 2): string => n.toFixed(digits).padStart(9);

async function main(): Promise<void> {
  console.log(`audit writer: ${RECORDS} records, ${IN_FLIGHT} appends in flight, files under ${BASE}\n`);
  console.log('mode     records/s (until close: all durable)');
  const results: Record<string, unknown> = {};
  for (const mode of ['sync', 'batch', 'async'] as const) {
    const rate = await throughput(mode);
    results[`${mode}_records_per_s`] = Math.round(rate);
    console.log(`${mode.padEnd(8)} ${Math.round(rate).toLocaleString('en-US').padStart(10)}`);
  }
  console.log(`\nappend latency at ${RATE_PER_S.toLocaleString('en-US')} appends/s for ${PACED_SECONDS} s (ms)`);
  console.log('mode           p50       p99       max');
  const p99: Record<string, number> = {};
  for (const mode of ['sync', 'async'] as const) {
    const sorted = (await pacedLatencies(mode)).sort((a, b) => a - b);
    p99[mode] = percentile(sorted, 99);
    results[`${mode}_latency_ms`] = { p50: percentile(sorted, 50), p99: percentile(sorted, 99), max: sorted.at(-1) };
    console.log(`${mode.padEnd(8)} ${fmt(percentile(sorted, 50))} ${fmt(percentile(sorted, 99))} ${fmt(sorted.at(-1) ?? NaN)}`);
  }
  const verify = await verifySpeed();
  results.verify_records_per_s = Math.round(verify.perSecond);
  console.log(`\nverify (with the key): ${Math.round(verify.perSecond).toLocaleString('en-US')} records/s over ${RECORDS * 5} records in ${verify.files} files`);
  console.log(`\nsync adds ${((p99.sync ?? 0) - (p99.async ?? 0)).toFixed(2)} ms at p99 per append (sync p99 − async p99)`);
  console.log(JSON.stringify(results));
}

await main();
