import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A fresh directory with a database path in it; `cleanup` removes it. */
export function scratch(): { dir: string; db: string; queue: string; file: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'mbcap-snapshot-'));
  return {
    dir,
    db: join(dir, 'mesh.db'),
    queue: join(dir, 'mbcap-snapshot'),
    file: join(dir, 'mbcap-snapshot', 'snapshot.json'),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

export function key(i: number, bytes = 32): string {
  return i.toString(16).padStart(bytes * 2, '0');
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `check` until it returns true or `ms` pass; returns whether it became true. */
export async function eventually(check: () => boolean | Promise<boolean>, ms = 5000): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await sleep(10);
  }
  return check();
}
