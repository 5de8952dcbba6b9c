import { lstatSync } from 'node:fs';
import { lstat } from 'node:fs/promises';
import type { BigIntStats } from 'node:fs';

/**
 * What tells one file on disk from another without reading it. A publish always renames a
 * new inode into place, and the change time moves with every rename, so an unchanged
 * identity means an unchanged file.
 */
export type FileIdentity = {
  dev: string;
  ino: string;
  size: number;
  mtimeNs: string;
  ctimeNs: string;
};

export function identityOf(stats: BigIntStats): FileIdentity {
  return {
    dev: stats.dev.toString(),
    ino: stats.ino.toString(),
    size: Number(stats.size),
    mtimeNs: stats.mtimeNs.toString(),
    ctimeNs: stats.ctimeNs.toString(),
  };
}

export function sameIdentity(a: FileIdentity | null | undefined, b: FileIdentity | null | undefined): boolean {
  if (!a || !b) return false;
  return a.dev === b.dev && a.ino === b.ino && a.size === b.size && a.mtimeNs === b.mtimeNs && a.ctimeNs === b.ctimeNs;
}

/** The identity of whatever is at `path` (not following links), or null when nothing is. */
export async function statIdentity(path: string): Promise<FileIdentity | null> {
  try {
    return identityOf(await lstat(path, { bigint: true }));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

/** statIdentity without yielding: one lstat, for a check that must answer at once. */
export function statIdentitySync(path: string): FileIdentity | null {
  try {
    return identityOf(lstatSync(path, { bigint: true }));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}
