import { closeSync, constants, fstatSync, lstatSync, openSync, readSync } from 'node:fs';
import type { BigIntStats } from 'node:fs';
import { TRAILER_TAIL_BYTES, trailerChecksum } from './integrity.js';

/**
 * What tells one file on disk from another without reading all of it: where it lies, its
 * type, size and times, and the checksum its own trailer names.
 *
 * The place and times alone prove nothing: a filesystem with whole-second times (ext4
 * with 128-byte inodes, which mke2fs picks under 512 MB) reuses a freed inode at once, so
 * three publishes within a second can leave the third with the first one's (device,
 * inode, size, mtime, ctime). The trailer's checksum names the content; equal identities
 * that both carry one are the same content. A file without a trailer is compared by its
 * content, read whole.
 */
export type FileIdentity = {
  dev: string;
  ino: string;
  /** st_mode: the file type and permissions. */
  mode: number;
  size: number;
  mtimeNs: string;
  ctimeNs: string;
  /** The sha256 the file's integrity trailer names, or null when it has none (or was not read). */
  checksum: string | null;
};

export function identityOf(stats: BigIntStats, checksum: string | null): FileIdentity {
  return {
    dev: stats.dev.toString(),
    ino: stats.ino.toString(),
    mode: Number(stats.mode),
    size: Number(stats.size),
    mtimeNs: stats.mtimeNs.toString(),
    ctimeNs: stats.ctimeNs.toString(),
    checksum,
  };
}

/** Nothing in the file's place, type, size or times shows a change (which proves nothing). */
export function sameFile(a: FileIdentity | null | undefined, b: FileIdentity | null | undefined): boolean {
  if (!a || !b) return false;
  return a.dev === b.dev && a.ino === b.ino && a.mode === b.mode && a.size === b.size && a.mtimeNs === b.mtimeNs && a.ctimeNs === b.ctimeNs;
}

/** The same content, proved: the same file by its stat and the same trailer checksum. */
export function sameIdentity(a: FileIdentity | null | undefined, b: FileIdentity | null | undefined): boolean {
  return sameFile(a, b) && typeof a!.checksum === 'string' && a!.checksum === b!.checksum;
}

/**
 * The identity of whatever is at `path` (never following a link), or null when nothing
 * is: for a regular file one open, one fstat and one read of its last bytes, where the
 * trailer lies. Never blocks on a FIFO.
 */
export function statIdentitySync(path: string): FileIdentity | null {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return null;
    // A symlink, a socket, a device without a driver: what it is, unread
    if (code === 'ELOOP' || code === 'ENXIO' || code === 'EACCES' || code === 'EPERM') return lstatIdentity(path);
    throw error;
  }
  try {
    const stats = fstatSync(fd, { bigint: true });
    if (!stats.isFile()) return identityOf(stats, null);
    const size = Number(stats.size);
    const tail = Buffer.alloc(Math.min(size, TRAILER_TAIL_BYTES));
    let filled = 0;
    while (filled < tail.length) {
      const n = readSync(fd, tail, filled, tail.length - filled, size - tail.length + filled);
      if (n === 0) break;
      filled += n;
    }
    return identityOf(stats, filled === tail.length ? trailerChecksum(tail) : null);
  } finally {
    closeSync(fd);
  }
}

/** statIdentitySync, as a promise (it does not yield: one open and a read of 200 bytes). */
export async function statIdentity(path: string): Promise<FileIdentity | null> {
  return statIdentitySync(path);
}

function lstatIdentity(path: string): FileIdentity | null {
  try {
    return identityOf(lstatSync(path, { bigint: true }), null);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}
