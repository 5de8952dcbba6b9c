// What the directories of a handoff must be before anything is read, written, copied or
// deleted in them. Anyone who can write into the handoff directory (the publisher must)
// could put a symbolic link where a directory belongs and send the next operation
// elsewhere: into the database's directory, say. So:
//
// - the handoff directory is a real directory (never a link), owned by this process's
//   user, root, or the owner of the directory that holds it (the database's), and not
//   writable by everyone unless sticky;
// - the `rejected/` directory belongs to the reader alone: a real directory, owned by this
//   process's user, writable by nobody else.
import { lstatSync, type Stats } from 'node:fs';
import { dirname } from 'node:path';

const euid = (): number | null => (typeof process.geteuid === 'function' ? process.geteuid() : null);

function describe(dir: string, stats: Stats | null): string | null {
  if (stats === null) return null;
  if (stats.isSymbolicLink()) return `${dir} is a symbolic link, not a directory`;
  if (!stats.isDirectory()) return `${dir} is not a directory`;
  return null;
}

function lstatOrNull(path: string): Stats | null {
  try {
    return lstatSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

/**
 * Why the handoff directory `dir` must not be used, in words an operator can act on; null
 * when it is fine or does not exist yet.
 */
export function handoffDirProblem(dir: string): string | null {
  const stats = lstatOrNull(dir);
  const kind = describe(dir, stats);
  if (kind) return `${kind}; make it a plain directory (mkdir) and publish again`;
  if (stats === null) return null;
  const me = euid();
  if (me !== null && stats.uid !== me && stats.uid !== 0) {
    const parent = lstatOrNull(dirname(dir));
    if (parent === null || stats.uid !== parent.uid) {
      return `${dir} is owned by uid ${stats.uid}, not by this user (uid ${me}), root or the owner of ${dirname(dir)}; chown it to the database's owner`;
    }
  }
  if ((stats.mode & 0o002) !== 0 && (stats.mode & 0o1000) === 0) {
    return `${dir} is writable by every user of this host; chmod o-w ${dir} (give the publisher group write instead)`;
  }
  return null;
}

/** Why `dir` must not hold this process's private files (copies of refused snapshots); null when fine or absent. */
export function privateDirProblem(dir: string): string | null {
  const stats = lstatOrNull(dir);
  const kind = describe(dir, stats);
  if (kind) return `${kind}; remove it, and a plain directory is made anew`;
  if (stats === null) return null;
  const me = euid();
  if (me !== null && stats.uid !== me) return `${dir} is owned by uid ${stats.uid}, not by this user (uid ${me}); remove it, and it is made anew`;
  if ((stats.mode & 0o022) !== 0) return `${dir} is writable by other users (mode ${(stats.mode & 0o7777).toString(8)}); chmod go-w ${dir}`;
  return null;
}
