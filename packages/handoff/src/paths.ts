import { mkdir } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { threadId } from 'node:worker_threads';

/** Where a handoff lives: a directory beside the database and the file name inside it. */
export type HandoffLocation = {
  dirName: string;
  fileName: string;
};

/** Copies of rejected files, inside the handoff directory. */
export const REJECTED_DIR_NAME = 'rejected';

/** The handoff directory beside the database: `<dir of db>/<dirName>`. */
export function handoffDir(dbPath: string, location: HandoffLocation): string {
  if (typeof dbPath !== 'string' || dbPath.length === 0) {
    throw new TypeError('Expected "dbPath" to be a non-empty string (the path of the database file)');
  }
  return join(dirname(resolve(dbPath)), location.dirName);
}

/** The handoff file: `<dir of db>/<dirName>/<fileName>`. */
export function handoffPath(dbPath: string, location: HandoffLocation): string {
  return join(handoffDir(dbPath, location), location.fileName);
}

/** Creates the handoff directory (and its parents) if missing; returns its path. */
export async function ensureHandoffDir(dbPath: string, location: HandoffLocation): Promise<string> {
  const dir = handoffDir(dbPath, location);
  await mkdir(dir, { recursive: true, mode: 0o755 });
  return dir;
}

// Temp files: `.<file>.<pid>.<thread>.<counter>.tmp`. The leading dot and the `.tmp` suffix
// keep them apart from the handoff file for every reader; the pid tells a sweeper whether
// the writer that owns one is still alive.
let counter = 0;

export function tempName(fileName: string): string {
  counter = (counter + 1) % Number.MAX_SAFE_INTEGER;
  return `.${fileName}.${process.pid}.${threadId}.${counter}.tmp`;
}

/** The pid that owns a temp file of `fileName`, or null when `name` is not one. */
export function tempOwner(fileName: string, name: string): number | null {
  const prefix = `.${fileName}.`;
  if (!name.startsWith(prefix) || !name.endsWith('.tmp')) return null;
  const parts = name.slice(prefix.length, -'.tmp'.length).split('.');
  if (parts.length !== 3 || !parts.every((p) => /^\d+$/.test(p))) return null;
  return Number(parts[0]);
}

/** Whether `name` (a path or a file name) is a temp file of a write of `fileName`. */
export function isTempName(fileName: string, name: string): boolean {
  return tempOwner(fileName, basename(name)) !== null;
}
