// Opening the database for a command: the file must exist (only `migrate` creates it), and
// the schema is brought up to date unless the operator said --no-migrate.
import type { Database } from 'better-sqlite3';
import { duplicateKeys, migrate, openDatabase, type SynchronousLevel } from '@mbcap/dbschema';
import type { Logger } from '@mbcap/cli';

export function openForWrite(dbPath: string, log: Logger, options: { migrate: boolean; create?: boolean; synchronous?: SynchronousLevel }): Database {
  const db = openDatabase(dbPath, { create: options.create ?? false, synchronous: options.synchronous });
  if (options.migrate) {
    try {
      const report = migrate(db);
      for (const change of report.changes) log.info('migrated', `migrate: ${change}`, { change });
    } catch (error) {
      db.close();
      throw error;
    }
    const duplicates = duplicateKeys(db);
    if (duplicates.length) {
      log.warn(
        'duplicate-keys',
        `${duplicates.length} public keys are in both nodes and inactive_nodes (e.g. ${duplicates[0]}); a snapshot updates the nodes row only`,
        { count: duplicates.length },
      );
    }
  }
  return db;
}
