import { createHash } from 'node:crypto';
import { constants, lstatSync } from 'node:fs';
import { mkdir, open, readdir, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { handoffDirProblem, privateDirProblem } from './dir-check.js';
import type { SnapshotError } from './errors.js';
import { REJECTED_DIR_NAME, tempName } from './paths.js';

export type KeepRejectedOptions = {
  /** How many copies to keep, newest first (default 10). */
  keep?: number;
  /** A larger file is kept truncated to this many bytes, its name ending `.partial` (default 16 MiB). */
  maxCopyBytes?: number;
};

/** The names of copies: `<time>-<code>-<16 hex of sha256>.json[.partial]`; nothing else is ever deleted. */
const COPY_NAME = /^\d{8}T\d{6}\.\d{3}Z-[A-Z_]{1,32}-[0-9a-f]{16}\.json(\.partial)?$/;

export function isRejectedCopyName(name: string): boolean {
  return COPY_NAME.test(name);
}

/**
 * Keeps a copy of a rejected file for the operator in `<handoff dir>/rejected/`, named
 * `<time>-<code>-<hash>.json`, with the refused file's own permissions, 0600 at most. It
 * writes the bytes the reader already holds and never opens, moves or deletes the snapshot
 * itself, so a good snapshot that replaced the bad one meanwhile is safe. Returns the
 * copy's path, or null when there was nothing to copy.
 *
 * It throws, copying nothing, when the file had more than one hard link (its bytes may be
 * another file's, a secret's) or when either directory is not what it must be (see
 * dir-check.ts). It never follows a link, and it deletes only files by the copies' own name
 * pattern, owned by this user, so a link put in place of `rejected/` cannot make it delete
 * anything else.
 */
export async function keepRejected(handoffDirectory: string, error: SnapshotError, options: KeepRejectedOptions = {}): Promise<string | null> {
  const keep = options.keep ?? 10;
  const maxCopyBytes = options.maxCopyBytes ?? 16 * 1024 * 1024;
  if (!Number.isInteger(keep) || keep < 0) throw new RangeError('Expected the "keep" option to be a non-negative integer');
  if (!error.bytes || keep === 0) return null;

  // What may be copied, and where
  const links = error.file?.nlink ?? 1;
  if (links > 1) throw new Error(`${error.path} has ${links} hard links, so its bytes may belong to another file; not copied (remove the extra links)`);
  const mode = (error.file?.mode ?? 0o600) & 0o600;
  const dir = join(handoffDirectory, REJECTED_DIR_NAME);
  const unsafe = handoffDirProblem(handoffDirectory) ?? privateDirProblem(dir);
  if (unsafe) throw new Error(`not copied: ${unsafe}`);
  await mkdir(dir, { mode: 0o700 }).catch((e: NodeJS.ErrnoException) => {
    if (e.code !== 'EEXIST') throw e;
  });
  const made = privateDirProblem(dir);
  if (made) throw new Error(`not copied: ${made}`);

  const hash = createHash('sha256').update(error.bytes).digest('hex').slice(0, 16);
  const copies = (await readdir(dir)).filter(isRejectedCopyName);
  const existing = copies.find((name) => name.includes(`-${hash}.`));
  if (existing) return join(dir, existing);

  // Write the copy atomically, so a half-written copy never shows
  const partial = error.bytes.length > maxCopyBytes;
  const stamp = new Date().toISOString().replace(/[-:]/g, '');
  const name = `${stamp}-${error.code}-${hash}.json${partial ? '.partial' : ''}`;
  const temp = join(dir, tempName(name));
  try {
    const handle = await open(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, mode);
    try {
      await handle.chmod(mode);
      await handle.writeFile(partial ? error.bytes.subarray(0, maxCopyBytes) : error.bytes);
    } finally {
      await handle.close();
    }
    await rename(temp, join(dir, name));
  } catch (writeError) {
    await unlink(temp).catch(() => {});
    throw writeError;
  }

  // Keep the newest copies only (names start with the time): our own files, nothing else
  copies.push(name);
  copies.sort();
  for (const old of copies.slice(0, Math.max(0, copies.length - keep))) {
    const path = join(dir, old);
    if (isOwnCopy(path)) await unlink(path).catch(() => {});
  }
  return join(dir, name);
}

/** A regular file of this user with one link: a copy this process may have made. */
function isOwnCopy(path: string): boolean {
  try {
    const stats = lstatSync(path);
    return stats.isFile() && stats.nlink === 1 && (typeof process.geteuid !== 'function' || stats.uid === process.geteuid());
  } catch {
    return false;
  }
}
