// The server's only way into the database: read-only, schema checked at the door.
import { statSync } from 'node:fs';
import type { Database } from 'better-sqlite3';
import { checkSchema, hasColumn, hasTable, openDatabase } from '@mbcap/dbschema';

export type ServerDatabase = {
  db: Database;
  /** inactive_nodes exists (older CoreScope databases have none). */
  hasInactive: boolean;
  /** transmissions.path_json exists. */
  hasPathJson: boolean;
};

/** Thrown when the schema lacks what the server reads; `missing` names each piece. */
export class SchemaMissingError extends Error {
  override readonly name = 'SchemaMissingError';
  constructor(
    readonly dbPath: string,
    readonly missing: string[],
  ) {
    super(`the database ${dbPath} lacks ${missing.join(', ')}; bring it up to date with: mbcap-ingestor migrate --db ${dbPath}`);
  }
}

export function openServerDatabase(dbPath: string): ServerDatabase {
  const db = openDatabase(dbPath, { readonly: true });
  const check = checkSchema(db, 'server');
  if (!check.ok) {
    db.close();
    throw new SchemaMissingError(dbPath, check.missing);
  }
  return { db, hasInactive: hasTable(db, 'inactive_nodes'), hasPathJson: hasColumn(db, 'transmissions', 'path_json') };
}

/** Which file is at `path` (device and inode): another one after a restore or a copy renamed over it. */
export function fileIdOf(path: string): string {
  const stats = statSync(path, { bigint: true });
  return `${stats.dev}:${stats.ino}`;
}
