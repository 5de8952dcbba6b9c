import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export type Scratch = {
  dir: string;
  /** <dir>/mesh.db (not created) */
  db: string;
  /** <dir>/mbcap-snapshot */
  queue: string;
  /** <dir>/mbcap-snapshot/snapshot.json */
  file: string;
  /** Removes the directory and everything in it. */
  cleanup: () => void;
};

/** A fresh directory named `<prefix>XXXXXX` in the system's temp dir; `cleanup` removes it. */
export function scratch(prefix = 'mbcap-test-'): Scratch {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return {
    dir,
    db: join(dir, 'mesh.db'),
    queue: join(dir, 'mbcap-snapshot'),
    file: join(dir, 'mbcap-snapshot', 'snapshot.json'),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}
