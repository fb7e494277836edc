// kill -9 the writer at random moments, again and again, on the same trail: what is on disk must
// always verify (a torn last line allowed), and every append that resolved in sync mode must be
// there. The child appends under load through the real writer (crash-writer.ts).
import { spawn } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadVerifyKeys, type CheckpointVerifier } from '../../../src/audit/checkpoint.js';
import { verifyTrail } from '../../../src/audit/verify.js';
import { AuditWriter } from '../../../src/audit/writer.js';
import { decision, lines, signingKey, tempDir, trailIn, type KeyFiles } from '../../unit/audit/fixtures.js';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const SCRIPT = fileURLToPath(new URL('./crash-writer.ts', import.meta.url));

interface Round {
  readonly printed: number[];
  readonly output: string;
}

/** Starts the child, kills it with SIGKILL after `killAfterMs` (counted from its "ready" line, or from spawn). */
function crashRound(file: string, key: string, durability: string, round: number, killAfterMs: number, fromReady: boolean): Promise<Round> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', SCRIPT, file, key, durability, String(round)], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    const kill = (): void => void child.kill('SIGKILL');
    if (!fromReady) setTimeout(kill, killAfterMs);
    child.stdout.on('data', (chunk: Buffer) => {
      const before = out;
      out += chunk.toString('utf8');
      if (fromReady && !before.includes('ready\n') && out.includes('ready\n')) setTimeout(kill, killAfterMs);
    });
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString('utf8')));
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (signal !== 'SIGKILL') return reject(new Error(`crash-writer exited with ${code}:\n${err}`));
      const done = out.slice(0, out.lastIndexOf('\n') + 1); // a number cut mid-print was not printed
      const printed = done.split('\n').filter((l) => /^\d+$/.test(l)).map(Number);
      resolve({ printed, output: err });
    });
  });
}

let dir: string;
let file: string;
let key: KeyFiles;
let verifier: CheckpointVerifier;

beforeAll(async () => {
  dir = await tempDir();
  file = join(dir, 'audit.jsonl');
  key = await signingKey(dir);
  verifier = await loadVerifyKeys(key.publicFile);
  // A trail that already ends signed, so even a first round killed before its first checkpoint verifies with the key.
  const writer = await AuditWriter.open({ file, signing_key_file: key.privateFile });
  await writer.append(decision('before-the-crashes'));
  await writer.close();
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function requestIdsOnDisk(): Promise<Set<string>> {
  const ids = new Set<string>();
  for (const f of await trailIn(dir)) {
    for (const line of await lines(f)) {
      const match = /"request_id":"([^"]+)"/.exec(line);
      if (match?.[1] !== undefined && line.endsWith('}')) ids.add(match[1]);
    }
  }
  return ids;
}

describe('audit trail under kill -9', () => {
  it('always verifies, and keeps every append that resolved in sync mode (20 rounds), and verifies after batch and async crashes', async () => {
    const plan = [
      ...Array.from({ length: 20 }, (_, i) => ({ durability: 'sync', fromReady: i % 4 !== 3 })),
      { durability: 'batch', fromReady: true },
      { durability: 'batch', fromReady: true },
      { durability: 'async', fromReady: true },
    ];
    let resolvedTotal = 0;
    for (const [round, step] of plan.entries()) {
      // After "ready": somewhere in the middle of the load; from spawn: possibly while opening and cutting the torn tail.
      const killAfter = step.fromReady ? 20 + Math.floor(Math.random() * 250) : 150 + Math.floor(Math.random() * 700);
      const { printed } = await crashRound(file, key.privateFile, step.durability, round, killAfter, step.fromReady);
      const report = await verifyTrail(await trailIn(dir), { verifier });
      expect(report.problem, `round ${round} (${step.durability}, kill after ${killAfter} ms)`).toBeNull();
      // Allowed: a torn last line, records after the last checkpoint, and an empty live file right after a rotation.
      expect(report.warnings.filter((w) => !['torn', 'uncovered', 'empty-file'].includes(w.kind))).toEqual([]);
      if (step.durability === 'sync') {
        const onDisk = await requestIdsOnDisk();
        const missing = printed.filter((n) => !onDisk.has(`crash-${round}-${n}`));
        expect(missing, `round ${round}: resolved but not on disk`).toEqual([]);
        resolvedTotal += printed.length;
      }
    }
    // The rounds did real work: thousands of resolved appends, across many rotated files.
    expect(resolvedTotal).toBeGreaterThan(500);
    expect((await trailIn(dir)).length).toBeGreaterThan(5);
  }, 60_000);
});
