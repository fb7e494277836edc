// `residency-gate audit …` as users run it: through src/cli/main.ts in a child process, checking
// exit codes and what reaches stdout and stderr.
import { execFile } from 'node:child_process';
import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { AuditWriter } from '../../../src/audit/writer.js';
import { decision, lines, payload, signingKey, tempDir, type KeyFiles } from '../../unit/audit/fixtures.js';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));

function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { cwd: ROOT }, (err, stdout, stderr) => {
      resolve({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : -1, stdout, stderr });
    });
  });
}

let dir: string;
let key: KeyFiles;

beforeAll(async () => {
  dir = await tempDir();
  key = await signingKey(dir);
  const writer = await AuditWriter.open({ file: join(dir, 'audit.jsonl'), signing_key_file: key.privateFile, rotate_bytes: 2048 });
  for (let i = 0; i < 12; i++) {
    await writer.append(decision(`r-${i}`, i % 4 === 0 ? { target_region: 'us-east-1', decision: 'deny', code: 'RESIDENCY_CROSS_REGION' } : {}));
    await writer.append(payload(`r-${i}`));
  }
  await writer.close();
});

describe('residency-gate audit (CLI)', () => {
  it('verify: exit 0 on the rotated trail given as its directory', async () => {
    const r = await cli('audit', 'verify', dir, '--key', key.publicFile);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^OK: \d+ record\(s\), seq 1–\d+, in \d+ file\(s\)/);
  });

  it('verify: exit 1 naming file:line and the reason when a line is deleted', async () => {
    const copy = join(await tempDir(), 'audit.jsonl');
    // The trail's first file (it starts at seq 1, so verify can judge it alone); the live file may
    // hold only what came after the last rotation.
    const files = (await readdir(dir)).filter((f) => f.startsWith('audit') && f.endsWith('.jsonl'));
    const texts = await Promise.all(files.map((f) => lines(join(dir, f))));
    const text = texts.find((t) => t.length >= 3 && (JSON.parse(t[0] ?? '{}') as { seq?: number }).seq === 1) ?? [];
    expect(text.length).toBeGreaterThanOrEqual(3);
    await writeFile(copy, `${text.filter((_, i) => i !== 1).join('\n')}\n`);
    const r = await cli('audit', 'verify', copy);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`FAILED: ${copy}:2: deleted:`);
  });

  it('report and show work end to end; usage errors exit 2', async () => {
    const report = await cli('audit', 'report', dir);
    expect(report.code).toBe(0);
    expect(report.stdout).toMatch(/eu-west-1\s+us-east-1\s+0\s+3\s+3/);
    const show = await cli('audit', 'show', 'r-4', dir);
    expect(show.stdout).toMatch(/decision\s+DENY RESIDENCY_CROSS_REGION[\s\S]*payload\s+complete/);
    expect((await cli('audit', 'verify')).code).toBe(2);
  });
});
