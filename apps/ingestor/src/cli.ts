/**
 * mbcap-ingestor: the only process that writes the mesh database. It owns the schema
 * (migrate) and applies the server's capability snapshot to nodes / inactive_nodes,
 * exactly once, in one transaction with its ledger row. A snapshot only ever raises a
 * stored value; `reset` is the operator's way to clear values back to unknown.
 */
import { readFileSync } from 'node:fs';
import { createParser, runParser } from '@mbcap/cli';
import { applyCommand } from './commands/apply.js';
import { importCommand } from './commands/import.js';
import { migrateCommand } from './commands/migrate.js';
import { resetCommand } from './commands/reset.js';
import { runCommand } from './commands/run.js';
import { statusCommand } from './commands/status.js';

const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };

await runParser(
  createParser(
    'mbcap-ingestor',
    '$0 <command> --db PATH [options]\n\nThe only writer of the mesh database: schema migrations, the snapshot apply, and resets.',
    { version, envPrefix: 'MBCAP' },
  )
    .command(migrateCommand)
    .command(applyCommand)
    .command(runCommand)
    .command(statusCommand)
    .command(importCommand)
    .command(resetCommand)
    .demandCommand(1, 'name a command: migrate, apply, run, status, import or reset'),
);
