// openDatabase(): the one way both processes open `mesh.db`, with errors a person can act on.

import Database from 'better-sqlite3';
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { explainOpenFailure } from './open-errors.js';

export type OpenOptions = {
  /** Open read-only (the server). */
  readonly?: boolean;
  /** Create the file when missing (only `migrate` does). */
  create?: boolean;
  /** How long to wait for a lock before SQLITE_BUSY, in ms (default 5000). */
  busyTimeoutMs?: number;
  /** When a commit is on disk, for a handle that writes (default 'full'; see SYNCHRONOUS_LEVELS). */
  synchronous?: SynchronousLevel;
};

/**
 * SQLite's `synchronous` for the writer. In WAL mode `full` fsyncs the -wal at every commit,
 * so a commit that returned survives a power cut; `normal` fsyncs it only at checkpoints, so
 * the last commits before a power cut may be lost (never half applied, never corrupt).
 * better-sqlite3 is built with WAL mode defaulting to `normal`; the writer asks for `full`.
 */
export const SYNCHRONOUS_LEVELS = ['full', 'normal'] as const;
export type SynchronousLevel = (typeof SYNCHRONOUS_LEVELS)[number];

/** Thrown when the database cannot be opened; `code` says why. */
export class DatabaseOpenError extends Error {
  override readonly name = 'DatabaseOpenError';
  constructor(
    message: string,
    readonly code: 'NOT_FOUND' | 'CANNOT_OPEN',
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export function openDatabase(path: string, options: OpenOptions = {}): Database.Database {
  // Validate arguments
  if (typeof path !== 'string' || path.length === 0) throw new TypeError('Expected the database path to be a non-empty string');
  const busyTimeoutMs = options.busyTimeoutMs ?? 5000;
  if (!Number.isInteger(busyTimeoutMs) || busyTimeoutMs < 0) throw new RangeError('Expected the "busyTimeoutMs" option to be a non-negative integer');
  const synchronous = options.synchronous ?? 'full';
  if (!SYNCHRONOUS_LEVELS.includes(synchronous))
    throw new RangeError(`Expected the "synchronous" option to be one of ${SYNCHRONOUS_LEVELS.join(', ')}, got ${JSON.stringify(synchronous)}`);

  const file = resolve(path);
  if (!options.create && !existsSync(file)) {
    throw new DatabaseOpenError(`database not found: ${file} (create it with: mbcap-ingestor migrate --db ${path})`, 'NOT_FOUND');
  }
  if (options.create && !existsSync(dirname(file))) {
    throw new DatabaseOpenError(
      `cannot create ${file}: the directory ${dirname(file)} does not exist; make it first (install -d ${dirname(file)}; the README says which owner and mode)`,
      'NOT_FOUND',
    );
  }
  let db: Database.Database | undefined;
  try {
    db = new Database(file, { readonly: options.readonly ?? false, fileMustExist: !options.create, timeout: busyTimeoutMs });
    // Fail now, not at the first query, when the file is not a database.
    db.prepare('SELECT count(*) FROM sqlite_master').get();
    if (!options.readonly) db.pragma(`synchronous = ${synchronous}`);
    return db;
  } catch (error) {
    db?.close();
    const message = explainOpenFailure({ file, path, readonly: options.readonly ?? false, create: options.create ?? false }, error);
    throw new DatabaseOpenError(message, 'CANNOT_OPEN', { cause: error });
  }
}
