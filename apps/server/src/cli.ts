/**
 * mbcap-server: the read-only side. It computes every node's multi-byte capability from
 * the stored packets, publishes the result as the snapshot beside the database, and
 * serves a small HTTP API. It never writes the database: it opens it read-only.
 */
import { readFileSync } from 'node:fs';
import { createParser, runParser } from '@mbcap/cli';
import { explainCommand } from './commands/explain.js';
import { publishCommand } from './commands/publish.js';
import { runCommand } from './commands/run.js';

const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };

await runParser(
  createParser(
    'mbcap-server',
    '$0 <command> --db PATH [options]\n\nRead-only capability analytics: publishes the snapshot the ingestor applies, and serves an HTTP API.',
    { version, envPrefix: 'MBCAP' },
  )
    .command(publishCommand)
    .command(runCommand)
    .command(explainCommand)
    .demandCommand(1, 'name a command: publish, run or explain'),
);
