import { chownSync, existsSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { CommandModule } from 'yargs';
import { duplicateKeys, migrate, openDatabase } from '@mbcap/dbschema';
import { withDb, type CommonArgs } from '../options.js';

type Args = CommonArgs & { json: boolean };

export const migrateCommand: CommandModule<object, Args> = {
  command: 'migrate',
  describe: 'Create the database if missing, or bring it up to date (idempotent, loses nothing)',
  builder: (y) => withDb(y).option('json', { type: 'boolean', default: false, describe: 'Print the report as one JSON object' }) as never,
  handler: (args) => {
    const created = !existsSync(args.db);
    const db = openDatabase(args.db, { create: true });
    let report: ReturnType<typeof migrate>;
    let duplicates: string[];
    try {
      report = migrate(db);
      duplicates = duplicateKeys(db);
    } finally {
      db.close();
    }
    const owner = created ? ownLikeDirectory(args.db) : null;

    if (args.json) {
      console.log(JSON.stringify({ database: args.db, ...report, duplicateKeys: duplicates.length }));
      return;
    }
    if (report.changes.length === 0) console.log(`${args.db}: already up to date (schema_version ${report.schemaVersion})`);
    else for (const change of report.changes) console.log(`${args.db}: ${change}`);
    if (owner) console.log(`${args.db}: owned by uid ${owner.uid}, gid ${owner.gid}, like its directory (made by root for the directory's owner)`);
    if (duplicates.length) console.log(`warning: ${duplicates.length} public keys are in both nodes and inactive_nodes (e.g. ${duplicates[0]})`);
  },
};

/**
 * A database root has just made belongs to the owner of its directory (the ingestor's
 * user, in the README's layout), not to root, who would be the only one able to write it.
 * Closed first, so there is no -wal or -shm left to hand over.
 */
function ownLikeDirectory(dbPath: string): { uid: number; gid: number } | null {
  if (process.getuid?.() !== 0) return null;
  const dir = statSync(dirname(resolve(dbPath)));
  if (dir.uid === 0) return null;
  chownSync(dbPath, dir.uid, dir.gid);
  return { uid: dir.uid, gid: dir.gid };
}
