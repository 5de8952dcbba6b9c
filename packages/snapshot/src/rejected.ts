import { createHash } from 'node:crypto';
import { mkdir, open, readdir, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { SnapshotError } from './errors.js';
import { REJECTED_DIR_NAME, tempName } from './paths.js';

export type KeepRejectedOptions = {
  /** How many copies to keep, newest first (default 10). */
  keep?: number;
  /** A larger file is kept truncated to this many bytes, its name ending `.partial` (default 16 MiB). */
  maxCopyBytes?: number;
};

/**
 * Keeps a copy of a rejected file for the operator in `<queue dir>/rejected/`, named
 * `<time>-<code>-<hash>.json`. It writes the bytes the reader already holds and never
 * opens, moves or deletes the snapshot itself, so a good snapshot that replaced the bad
 * one meanwhile is safe. Returns the copy's path, or null when there was nothing to copy.
 */
export async function keepRejected(queueDirectory: string, error: SnapshotError, options: KeepRejectedOptions = {}): Promise<string | null> {
  const keep = options.keep ?? 10;
  const maxCopyBytes = options.maxCopyBytes ?? 16 * 1024 * 1024;
  if (!Number.isInteger(keep) || keep < 0) throw new RangeError('Expected the "keep" option to be a non-negative integer');
  if (!error.bytes || keep === 0) return null;

  const dir = join(queueDirectory, REJECTED_DIR_NAME);
  await mkdir(dir, { recursive: true, mode: 0o755 });
  const hash = createHash('sha256').update(error.bytes).digest('hex').slice(0, 16);
  const existing = (await readdir(dir)).find((name) => name.includes(`-${hash}.`));
  if (existing) return join(dir, existing);

  // Write the copy atomically, so a half-written copy never shows
  const partial = error.bytes.length > maxCopyBytes;
  const stamp = new Date().toISOString().replace(/[-:]/g, '');
  const name = `${stamp}-${error.code}-${hash}.json${partial ? '.partial' : ''}`;
  const temp = join(dir, tempName(name));
  try {
    const handle = await open(temp, 'wx', 0o644);
    try {
      await handle.writeFile(partial ? error.bytes.subarray(0, maxCopyBytes) : error.bytes);
    } finally {
      await handle.close();
    }
    await rename(temp, join(dir, name));
  } catch (writeError) {
    await unlink(temp).catch(() => {});
    throw writeError;
  }

  // Keep the newest copies only (names start with the time)
  const copies = (await readdir(dir)).filter((n) => !n.startsWith('.')).sort();
  for (const old of copies.slice(0, Math.max(0, copies.length - keep))) await unlink(join(dir, old)).catch(() => {});
  return join(dir, name);
}
