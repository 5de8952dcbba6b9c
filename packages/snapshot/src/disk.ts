// The disk side of a durable replace: whole writes, directory fsync, the seq already on
// disk, and sweeping temp files whose writer died.
import { constants, writeSync } from 'node:fs';
import { open, readdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { tempOwner } from './paths.js';

/** Temp files this process is writing now: never swept. */
export const liveTemps = new Set<string>();

/** Writes all of `bytes` at `position`, however many calls the kernel takes. */
export function writeAllSync(fd: number, bytes: Buffer, position: number): void {
  for (let done = 0; done < bytes.length; ) done += writeSync(fd, bytes, done, bytes.length - done, position + done);
}

/** The `seq` of the file on disk (0 when there is none): our writer puts it in the first bytes. */
export async function seqOnDisk(path: string): Promise<number> {
  let handle;
  try {
    // O_NONBLOCK: a FIFO put in its place must not block the publish forever
    handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch {
    return 0;
  }
  try {
    const head = Buffer.alloc(128);
    const { bytesRead } = await handle.read(head, 0, head.length, 0);
    const m = /^\{"version":\d+,"seq":(\d{1,15}),/.exec(head.toString('latin1', 0, bytesRead));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  } finally {
    await handle.close();
  }
}

/** Removes temp files whose writer process is gone; never one of a live writer. */
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

export async function fsyncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
