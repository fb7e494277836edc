// The live file's plumbing: opening it for appending, whole writes, directory fsync (a rename or
// a new file is durable only once its directory is), and the probe that tells whether writing
// works again while nothing is waiting to be written.
import { randomBytes } from 'node:crypto';
import { mkdir, open, unlink, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** Opens a file; a seam so tests can wrap the handle and inject write and fsync errors. */
export type OpenFile = (path: string, flags: string, mode?: number) => Promise<FileHandle>;

export const openFileDefault: OpenFile = (path, flags, mode) => open(path, flags, mode);

/** Opens (creating if needed) the live file for appending; a new file is made durable in its directory. */
export async function openLiveFile(file: string, openFile: OpenFile): Promise<FileHandle> {
  await mkdir(dirname(file), { recursive: true });
  const handle = await openFile(file, 'a+', 0o640);
  try {
    if ((await handle.stat()).size === 0) await fsyncDir(dirname(file));
  } catch (err) {
    await handle.close();
    throw err;
  }
  return handle;
}

export async function writeFully(handle: FileHandle, bytes: Buffer): Promise<void> {
  let offset = 0;
  while (offset < bytes.length) {
    const { bytesWritten } = await handle.write(bytes, offset, bytes.length - offset);
    offset += bytesWritten;
  }
}

export async function fsyncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

const PROBE_BYTES = 4096;

/**
 * Writes, syncs and removes a page-sized file next to the trail. It answers "can this directory
 * take new bytes again?" (ENOSPC, EACCES, EIO) without putting anything into the trail itself.
 */
export async function probeWritable(file: string, openFile: OpenFile): Promise<void> {
  const probe = join(dirname(file), `.${basename(file)}.probe`);
  const handle = await openFile(probe, 'w', 0o600);
  try {
    await writeFully(handle, randomBytes(PROBE_BYTES));
    await handle.datasync();
  } finally {
    await handle.close();
    await unlink(probe).catch(() => undefined);
  }
}
