import type { CommandModule } from 'yargs';
import { duplicateKeys, migrate, openDatabase } from '@mbcap/dbschema';
import { withDb, type CommonArgs } from '../options.js';

type Args = CommonArgs & { json: boolean };

export const migrateCommand: CommandModule<object, Args> = {
  command: 'migrate',
  describe: 'Create the database if missing, or bring it up to date (idempotent, loses nothing)',
  builder: (y) => withDb(y).option('json', { type: 'boolean', default: false, describe: 'Print the report as one JSON object' }) as never,
  handler: (args) => {
    const db = openDatabase(args.db, { create: true });
    try {
      const report = migrate(db);
      const duplicates = duplicateKeys(db);
      if (args.json) {
        console.log(JSON.stringify({ database: args.db, ...report, duplicateKeys: duplicates.length }));
        return;
      }
      if (report.changes.length === 0) console.log(`${args.db}: already up to date (schema_version ${report.schemaVersion})`);
      else for (const change of report.changes) console.log(`${args.db}: ${change}`);
      if (duplicates.length) console.log(`warning: ${duplicates.length} public keys are in both nodes and inactive_nodes (e.g. ${duplicates[0]})`);
    } finally {
      db.close();
    }
  },
};
