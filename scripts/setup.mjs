#!/usr/bin/env node
// Installs the workspace with the pinned pnpm and builds every package.
//
// `npm test` and `npm run demo` call this first, so a fresh clone needs only Node and npm:
// pnpm comes from the registry through npx at the version pinned in `packageManager`.
// The install is skipped when the lockfile and manifests have not changed since the last
// one (a stamp in node_modules records their hash); `tsc -b` is incremental.
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = new Set(process.argv.slice(2));
const stampPath = join(root, 'node_modules', '.mbcap-setup-stamp');

function manifests() {
  const files = ['package.json', 'pnpm-lock.yaml', 'pnpm-workspace.yaml'];
  for (const group of ['packages', 'apps']) {
    const dir = join(root, group);
    if (!existsSync(dir)) continue;
    for (const name of readdirSync(dir).sort()) files.push(join(group, name, 'package.json'));
  }
  files.push(join('test', 'package.json'), join('bench', 'package.json'));
  const hash = createHash('sha256');
  for (const file of files) {
    const path = join(root, file);
    if (existsSync(path)) hash.update(file).update('\0').update(readFileSync(path));
  }
  return hash.digest('hex');
}

function run(command, commandArgs, what) {
  const result = spawnSync(command, commandArgs, { cwd: root, stdio: 'inherit', shell: false });
  if (result.error) {
    console.error(`setup: could not start ${what} (${result.error.message})`);
    process.exit(1);
  }
  if (result.status !== 0) {
    console.error(`setup: ${what} failed with exit code ${result.status ?? result.signal}`);
    process.exit(result.status || 1);
  }
}

function pnpmCommand() {
  // Under pnpm itself, reuse it; otherwise fetch the pinned version through npx.
  const execPath = process.env.npm_execpath ?? '';
  if (/pnpm/.test(execPath)) return [process.execPath, [execPath]];
  const pinned = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).packageManager;
  const npx = process.platform === 'win32' ? 'npx.cmd' : 'npx';
  return [npx, ['--yes', pinned]];
}

// Install
const stamp = manifests();
const installed = existsSync(stampPath) && readFileSync(stampPath, 'utf8') === stamp;
if (!installed || args.has('--force')) {
  const [command, prefix] = pnpmCommand();
  console.log('setup: installing dependencies (the first time compiles better-sqlite3, about 90 s)');
  run(command, [...prefix, 'install', '--frozen-lockfile', '--prefer-offline'], 'pnpm install');
  writeFileSync(stampPath, stamp);
}

// Build
if (!args.has('--no-build')) {
  run(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-b'], 'the TypeScript build (tsc -b)');
}
