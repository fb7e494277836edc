// A tiny filesystem to fill up: tmpfs if this process may mount (root in a container usually may),
// else a loop-mounted ext4 image; or a reason why neither works, for the test to skip with.
import { execFileSync } from 'node:child_process';
import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export type SmallDisk = { readonly ok: true; readonly dir: string; readonly kind: string; unmount(): Promise<void> } | { readonly ok: false; readonly reason: string };

const run = (cmd: string, args: string[]): void => void execFileSync(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });

export async function mountSmallDisk(sizeKiB = 256): Promise<SmallDisk> {
  const base = await mkdtemp(join(tmpdir(), 'rg-audit-disk-'));
  const dir = join(base, 'mnt');
  run('mkdir', ['-p', dir]);
  const unmount = async (): Promise<void> => {
    try {
      run('umount', [dir]);
    } catch {
      run('umount', ['-l', dir]); // still busy: detach now, the kernel finishes when the last handle closes
    }
    await rm(base, { recursive: true, force: true });
  };
  const reasons: string[] = [];
  try {
    run('mount', ['-t', 'tmpfs', '-o', `size=${sizeKiB}k,mode=0755`, 'tmpfs', dir]);
    return { ok: true, dir, kind: `tmpfs ${sizeKiB} KiB`, unmount };
  } catch (err) {
    reasons.push(`tmpfs: ${firstLine(err)}`);
  }
  try {
    const image = join(base, 'disk.img');
    run('truncate', ['-s', `${Math.max(sizeKiB, 1024)}k`, image]);
    run('mkfs.ext4', ['-q', '-F', '-m', '0', image]);
    run('mount', ['-o', 'loop', image, dir]);
    return { ok: true, dir, kind: 'loop-mounted ext4', unmount };
  } catch (err) {
    reasons.push(`loop ext4: ${firstLine(err)}`);
  }
  await rm(base, { recursive: true, force: true });
  return { ok: false, reason: `cannot mount a small filesystem here (${reasons.join('; ')})` };
}

/** Writes a filler file until the filesystem says ENOSPC; returns its path (delete it to free the space). */
export async function fillDisk(dir: string): Promise<string> {
  const filler = join(dir, 'filler.bin');
  const handle = await open(filler, 'w');
  const chunk = Buffer.alloc(4096, 0x78);
  try {
    for (;;) await handle.write(chunk);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
  } finally {
    await handle.close();
  }
  return filler;
}

function firstLine(err: unknown): string {
  const stderr = (err as { stderr?: Buffer }).stderr?.toString('utf8').trim();
  return (stderr || (err as Error).message).split('\n')[0] ?? 'unknown error';
}
