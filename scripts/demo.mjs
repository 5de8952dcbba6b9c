#!/usr/bin/env node
// The quick-start demo: a publisher process and a consumer process hand snapshots over
// through `<data>/mbcap-snapshot/snapshot.json`, as the server and the ingestor do.
//
//   npm run demo [-- --data DIR] [-- --once]
import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
let args;
try {
  args = parseArgs({ options: { data: { type: 'string', default: join(root, 'data') }, once: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h' } } }).values;
} catch (error) {
  console.error(`demo: ${error.message}\nusage: npm run demo -- [--data DIR] [--once]`);
  process.exit(2);
}
if (args.help) {
  console.log('usage: npm run demo -- [--data DIR] [--once]\n\n  --data DIR  where the database and its snapshot directory live (default ./data)\n  --once      stop after the first snapshot is handed over');
  process.exit(0);
}
const dataDir = resolve(args.data);
mkdirSync(dataDir, { recursive: true });
const db = join(dataDir, 'mesh.db');
const child = spawn(process.execPath, [join(root, 'scripts', 'demo-handoff.mjs'), db, args.once ? '1' : '0'], { stdio: 'inherit' });
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig));
