// The durable replace: the one step that puts a new file in place of the old, so that a
// reader, a crash or a power cut finds the old file or the new one, whole, and never a
// mix. The shape of write-file-atomic's writeFileAsync and renameio's pending file, plus
// the directory fsync the first leaves out:
//
//   open a unique temp file beside the target (O_EXCL) → write → chmod → fsync → close
//   → rename over the target → fsync the directory; the temp file removed on any failure
//
// Temp files of writers that died (kill -9, power cut) are swept before each replace,
// never one of a live writer.
import { closeSync, constants, fchmodSync, fsync, openSync, writeSync } from 'node:fs';
import { open, readdir, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { tempName, tempOwner } from './paths.js';

const fsyncAsync = promisify(fsync);

/** Temp files this process is writing now: never swept. */
const liveTemps = new Set<string>();

/**
 * Replaces `path` with what `fill` writes into the file descriptor it is given, atomically
 * and durably; `mode` is applied whatever the umask. On any failure (a throw from `fill`
 * too) nothing but the temp file was touched, and it is removed.
 */
export async function replaceFile(path: string, mode: number, fill: (fd: number) => void | Promise<void>): Promise<void> {
  const dir = dirname(path);
  const temp = join(dir, tempName(basename(path)));
  liveTemps.add(temp);
  let fd: number | null = null;
  let renamed = false;
  try {
    fd = openSync(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, mode);
    await fill(fd);
    fchmodSync(fd, mode);
    await fsyncAsync(fd);
    closeSync(fd);
    fd = null;
    await rename(temp, path);
    renamed = true;
    await fsyncDir(dir);
  } finally {
    if (fd !== null) closeSync(fd);
    if (!renamed) await unlink(temp).catch(() => {});
    liveTemps.delete(temp);
  }
}

/** Writes all of `bytes` at `position`, however many calls the kernel takes. */
export function writeAllSync(fd: number, bytes: Buffer, position: number): void {
  for (let done = 0; done < bytes.length; ) done += writeSync(fd, bytes, done, bytes.length - done, position + done);
}

/** Removes the temp files of `fileName` in `dir` whose writer process is gone. */
export async function sweepTemps(dir: string, fileName: string): Promise<void> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return;
  }
  for (const name of names) {
    const pid = tempOwner(fileName, name);
    if (pid === null || pid === process.pid || isAlive(pid)) continue;
    const temp = join(dir, name);
    if (!liveTemps.has(temp)) await unlink(temp).catch(() => {});
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: alive, but another user's.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function fsyncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
