// Watching the directory a handoff file lives in. The directory, not the file: a rename
// replaces the file's inode. A directory removed and made again is a new one the old watch
// never sees, so `renew()` watches it anew when its identity changed.
import { watch, type FSWatcher } from 'chokidar';
import { stat } from 'node:fs/promises';
import { basename } from 'node:path';

export type DirWatch = {
  /** Watches anew when the directory was removed and made again; true when it did. */
  renew(): Promise<boolean>;
  close(): Promise<void>;
};

// The inode number alone can come back for the new directory; with its birth time, not.
async function identity(dir: string): Promise<string | null> {
  return stat(dir).then(
    (s) => `${s.ino}:${s.birthtimeMs}`,
    () => null,
  );
}

/** Calls `onChange` for every event on `fileName` in `dir`; resolves once watching. */
export async function watchDir(dir: string, fileName: string, onChange: () => void, onError: (error: unknown) => void): Promise<DirWatch> {
  let watcher: FSWatcher | null = null;
  let watched: string | null = null;
  let closed = false;

  async function start() {
    watched = await identity(dir);
    const w = watch(dir, { ignoreInitial: true, depth: 0, atomic: false, ignored: (p: string) => p !== dir && basename(p) !== fileName });
    w.on('all', (event: string, changed: string) => {
      if (event === 'unlinkDir' && changed === dir) watched = 'removed';
      else if (basename(changed) === fileName) onChange();
    });
    w.on('error', onError);
    await new Promise<void>((resolve) => w.once('ready', resolve));
    if (closed) await w.close();
    else watcher = w;
  }

  await start();
  return {
    async renew() {
      if (!watcher || closed) return false;
      const now = await identity(dir);
      if (now === null || now === watched) return false;
      const old = watcher;
      watcher = null;
      await old.close();
      if (closed) return false;
      await start();
      return true;
    },
    async close() {
      closed = true;
      await watcher?.close();
      watcher = null;
    },
  };
}
