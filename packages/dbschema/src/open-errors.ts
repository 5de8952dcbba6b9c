// Why SQLite could not open the database, said so that a person knows what to change.
// SQLite's own words name the symptom ("unable to open database file", "attempt to write
// a readonly database"); the file system says which file or directory is the cause.

import { accessSync, constants, existsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';

export type OpenAttempt = { file: string; path: string; readonly: boolean; create: boolean };

/** The message of a failed open: SQLite's words, then the cause and what to do. */
export function explainOpenFailure(attempt: OpenAttempt, error: unknown): string {
  const { file, path } = attempt;
  const reason = (error as Error).message;
  const code = (error as { code?: unknown }).code;
  const dir = dirname(file);
  const user = `this user (uid ${process.getuid?.() ?? '?'})`;
  const head = `cannot open database ${file}: ${reason}`;

  if (isDirectory(file)) {
    return `${head}: ${file} is a directory, not a database file; give the file's path, for example --db ${join(path, 'mesh.db')}`;
  }
  if (code === 'SQLITE_NOTADB') {
    return `${head}: ${file} is not a SQLite database (or it is damaged); check the --db path`;
  }
  if (attempt.create && !existsSync(file) && !writable(dir)) {
    return `cannot create ${file}: ${user} may not write to the directory ${dir}; run the command as the directory's owner, or let this user write there`;
  }
  if (typeof code === 'string' && code.startsWith('SQLITE_READONLY')) {
    if (attempt.readonly) {
      // A reader of a WAL database still needs the -shm file, and makes it when it is missing
      const shm = `${file}-shm`;
      const state = existsSync(shm) ? 'which it cannot read' : 'which does not exist (no other process has the database open)';
      return `${head}: even a read-only reader of a WAL database needs ${shm}, ${state}; the directory ${dir} must be writable by ${user} so SQLite can make it (as in the README's layout: this user in the directory's group, the directory mode 3770), or start the ingestor first`;
    }
    const notWritable = [dir, file, `${file}-wal`, `${file}-shm`].filter((p) => existsSync(p) && !writable(p));
    const which = notWritable.length ? notWritable.join(', ') : `${dir} and the database's files`;
    return `${head}: ${user} may not write ${which}; the writer needs the database, its -wal and -shm files and their directory writable (a -shm made by another user keeps that user's mode: give the database mode 0660 and both users its group)`;
  }
  return head;
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

function writable(path: string): boolean {
  try {
    accessSync(path, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}
