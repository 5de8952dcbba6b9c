#!/usr/bin/env node
// Runs every uvu suite of the workspace, each test file in its own Node process.
//
//   node scripts/test.mjs [FILTER…] [--jobs N] [--timeout SECONDS]
//
// Files: packages/*/test, apps/*/test and test/, named `*.test.ts`. A FILTER keeps the
// files whose path contains it. The last line is the total: `N passed, N failed`.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cpus } from 'node:os';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

// Interpret arguments
const filters = [];
let jobs = Math.max(1, Math.min(2, cpus().length));
let timeoutSeconds = 300;
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
  const arg = argv[i];
  if (arg === '--jobs' || arg === '--timeout') {
    const value = Number(argv[++i]);
    if (!Number.isInteger(value) || value < 1) {
      console.error(`test: expected ${arg} to be a positive integer, got ${argv[i]}`);
      process.exit(2);
    }
    if (arg === '--jobs') jobs = value;
    else timeoutSeconds = value;
  } else if (arg.startsWith('--')) {
    console.error(`test: unknown option ${arg} (options: --jobs N, --timeout SECONDS)`);
    process.exit(2);
  } else filters.push(arg);
}

function findTests(dir, out) {
  if (!existsSync(dir)) return out;
  for (const name of readdirSync(dir).sort()) {
    if (name === 'node_modules' || name === 'dist' || name.startsWith('.')) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) findTests(path, out);
    else if (name.endsWith('.test.ts')) out.push(path);
  }
  return out;
}

const files = [];
for (const group of ['packages', 'apps']) {
  const dir = join(root, group);
  if (!existsSync(dir)) continue;
  for (const name of readdirSync(dir).sort()) findTests(join(dir, name, 'test'), files);
}
findTests(join(root, 'test'), files);
const selected = files.filter((file) => filters.length === 0 || filters.some((f) => relative(root, file).includes(f)));
if (selected.length === 0) {
  console.error(`test: no test file matches ${filters.join(', ') || '(no filter)'}`);
  process.exit(2);
}

// Type-check the tests themselves (the packages were checked by the build)
const typecheck = spawnSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.tests.json'], {
  cwd: root,
  stdio: 'inherit',
});
if (typecheck.status !== 0) {
  console.error('test: the test sources do not type-check (see above)');
  console.log('0 passed, 1 failed');
  process.exit(1);
}

function runFile(file) {
  return new Promise((resolve) => {
    const started = Date.now();
    const child = spawn(process.execPath, ['--import', 'tsx', file], {
      cwd: root,
      env: { ...process.env, FORCE_COLOR: '0', NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutSeconds * 1000);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const total = Number(/Total:\s+(\d+)/.exec(output)?.[1] ?? NaN);
      const passed = Number(/Passed:\s+(\d+)/.exec(output)?.[1] ?? NaN);
      const skipped = Number(/Skipped:\s+(\d+)/.exec(output)?.[1] ?? 0);
      let failed = Number.isNaN(total) ? 1 : total - passed;
      if (code !== 0 && failed === 0) failed = 1; // crashed after or outside its tests
      resolve({ file, code, signal, timedOut, output, passed: Number.isNaN(passed) ? 0 : passed, failed, skipped, ms: Date.now() - started });
    });
  });
}

const queue = [...selected];
const results = [];
async function worker() {
  for (let file = queue.shift(); file; file = queue.shift()) {
    const result = await runFile(file);
    results.push(result);
    const name = relative(root, file);
    const mark = result.failed ? 'FAIL' : 'ok  ';
    console.log(
      `${mark} ${name}  ${result.passed} passed${result.failed ? `, ${result.failed} failed` : ''}${result.skipped ? `, ${result.skipped} skipped` : ''}  (${(result.ms / 1000).toFixed(1)} s)`,
    );
    if (result.failed) {
      if (result.timedOut) console.log(`     killed after ${timeoutSeconds} s without finishing`);
      console.log(result.output.replace(/^/gm, '     | '));
    }
  }
}
await Promise.all(Array.from({ length: Math.min(jobs, selected.length) }, worker));

const passed = results.reduce((n, r) => n + r.passed, 0);
const failed = results.reduce((n, r) => n + r.failed, 0);
const skipped = results.reduce((n, r) => n + r.skipped, 0);
console.log(`\n${selected.length} test files`);
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(failed ? 1 : 0);
