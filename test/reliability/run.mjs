#!/usr/bin/env node
// The reliability suite: crashes, torn reads, hostile files, read-only, load, disk full,
// the surroundings of the files (links, modes, inode reuse, clocks, floods, HTTP, logs), and
// power cuts (every crash state of a system-call record; optionally LazyFS, --only power-loss).
//
//   node test/reliability/run.mjs [--seed N] [--only ID,ID…] [--quick] [--json] [--keep]
//
// Real processes (the two CLIs and small fixtures), real files, real SQLite. Every random
// choice comes from the seed (printed first); `--seed N` replays a run. `--quick` is the
// reduced version the quick suite runs (test/30.reliability-quick.test.ts). Prints one
// table, campaign | runs | result | figures, and exits 1 when a campaign fails. `--json`
// adds a `RESULTS {…}` line, `--keep` keeps the temp directories, RELIABILITY_VERBOSE=1 logs
// more. Build first: node node_modules/typescript/bin/tsc -b. See README.md beside.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createRng, freshSeed } from './lib/rng.mjs';
import { killAll, repoRoot } from './lib/proc.mjs';
import { createShared } from './lib/shared.mjs';
// In the order they run; each module exports runCampaign({ rng, quick, work, check, log, shared }).
const CAMPAIGNS = [
  { id: 'torn-reads', title: 'torn reads', file: './campaigns/torn-reads.mjs' },
  { id: 'writer-crash', title: 'writer crash', file: './campaigns/writer-crash.mjs' },
  { id: 'ingestor-crash', title: 'ingestor crash', file: './campaigns/ingestor-crash.mjs' },
  { id: 'hostile-files', title: 'hostile files', file: './campaigns/hostile-files.mjs' },
  { id: 'read-only', title: 'read-only', file: './campaigns/read-only.mjs' },
  { id: 'load', title: 'load', file: './campaigns/load.mjs' },
  { id: 'disk-full', title: 'disk full / permissions', file: './campaigns/disk-full.mjs' },
  { id: 'surroundings', title: 'surroundings', file: './campaigns/surroundings.mjs' },
  { id: 'crash-states', title: 'crash states (power cut)', file: './campaigns/crash-states.mjs' },
  // Optional (only with --only power-loss): needs LAZYFS_BIN and FUSE, about 30 minutes
  { id: 'power-loss', title: 'power loss (LazyFS)', file: './campaigns/power-loss.mjs', optional: true, limitMs: 3_600_000 },
];

// Interpret arguments
let values;
try {
  ({ values } = parseArgs({
    options: {
      seed: { type: 'string' },
      only: { type: 'string' },
      quick: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      keep: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  }));
} catch (error) {
  console.error(`reliability: ${error.message}`);
  process.exit(2);
}
if (values.help) {
  console.log(
    `usage: node test/reliability/run.mjs [--seed N] [--only ID,…] [--quick] [--json] [--keep]\n\ncampaigns: ${CAMPAIGNS.map((c) => c.id).join(', ')}`,
  );
  process.exit(0);
}
if (values.seed !== undefined && !/^\d{1,10}$/.test(values.seed)) {
  console.error(`reliability: expected --seed to be a whole number, got ${values.seed}`);
  process.exit(2);
}
const seed = values.seed === undefined ? freshSeed() : Number(values.seed);
const only = values.only ? values.only.split(',').map((s) => s.trim()) : null;
const unknown = only?.filter((id) => !CAMPAIGNS.some((c) => c.id === id)) ?? [];
if (unknown.length) {
  console.error(`reliability: unknown campaign ${unknown.join(', ')} (campaigns: ${CAMPAIGNS.map((c) => c.id).join(', ')})`);
  process.exit(2);
}
for (const dist of ['packages/snapshot/dist/index.js', 'apps/ingestor/dist/cli.js', 'apps/server/dist/cli.js']) {
  if (!existsSync(join(repoRoot, dist))) {
    console.error(`reliability: ${dist} is missing; build first: node node_modules/typescript/bin/tsc -b`);
    process.exit(2);
  }
}

const quick = values.quick;
const selected = CAMPAIGNS.filter((c) => (only === null ? !c.optional : only.includes(c.id)));
const command = `node test/reliability/run.mjs --seed ${seed}${quick ? ' --quick' : ''}${only ? ` --only ${only.join(',')}` : ''}`;
console.error(`reliability: seed ${seed}${quick ? ' (quick)' : ''}; replay with: ${command}`);

const runDir = mkdtempSync(join(tmpdir(), 'mbcap-reliability-'));
const shared = createShared(runDir, createRng(seed).fork('shared'));
const stopAll = () => {
  killAll();
  // A campaign cut short may leave a tmpfs mounted inside the run directory
  try {
    for (const line of readFileSync('/proc/mounts', 'utf8').split('\n')) {
      const point = line.split(' ')[1];
      if (point?.startsWith(runDir)) spawnSync('umount', ['-l', point]);
    }
  } catch {
    // no /proc/mounts: nothing was mounted
  }
  if (!values.keep) {
    try {
      rmSync(runDir, { recursive: true, force: true });
    } catch (error) {
      console.error(`reliability: could not remove ${runDir}: ${error.message}`);
    }
  }
};
process.on('SIGINT', () => {
  stopAll();
  process.exit(130);
});

const results = [];
const suiteStarted = Date.now();
let timedOut = null;
for (const campaign of selected) {
  if (timedOut) {
    // Its code may still be running: the campaigns after it would not run alone
    results.push({
      id: campaign.id,
      title: campaign.title,
      runs: 0,
      ok: false,
      figures: {},
      line: `not run: ${timedOut} timed out`,
      failures: [`not run: ${timedOut} timed out`],
      seconds: 0,
    });
    continue;
  }
  const started = Date.now();
  const failures = [];
  const check = (ok, message) => {
    if (!ok) {
      failures.push(message);
      console.error(`  [${campaign.id}] FAIL ${message}`);
    }
    return ok;
  };
  const log = (message) => console.error(`  [${campaign.id}] ${message}`);
  const work = mkdtempSync(join(runDir, `${campaign.id}-`));
  console.error(`reliability: ${campaign.title}…`);
  const limitMs = (campaign.limitMs ?? (quick ? 90_000 : 480_000)) * (process.env.RELIABILITY_VERBOSE ? 3 : 1);
  let timer;
  let outcome;
  try {
    const { runCampaign } = await import(campaign.file);
    outcome = await Promise.race([
      runCampaign({ rng: createRng(seed).fork(campaign.id), quick, work, check, log, shared }),
      new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out after ${limitMs / 1000} s`)), limitMs))),
    ]);
  } catch (error) {
    if (/^timed out after/.test(error?.message)) timedOut = campaign.title;
    const what = timedOut === campaign.title ? error.message : `crashed: ${error?.stack ?? error}`;
    failures.push(what);
    console.error(`  [${campaign.id}] FAIL ${what}`);
    outcome = { runs: 0, figures: {}, line: 'did not finish' };
    killAll();
  } finally {
    clearTimeout(timer);
  }
  if (!values.keep && !timedOut) rmSync(work, { recursive: true, force: true });
  const ms = Date.now() - started;
  results.push({
    id: campaign.id,
    title: campaign.title,
    runs: outcome.runs,
    ok: failures.length === 0,
    skipped: Boolean(outcome.skipped),
    figures: outcome.figures,
    line: outcome.line,
    failures,
    seconds: Math.round(ms / 100) / 10,
  });
  console.error(`reliability: ${campaign.title}: ${failures.length ? 'FAIL' : outcome.skipped ? 'skipped' : 'pass'} in ${(ms / 1000).toFixed(1)} s`);
}
stopAll();

// The table
const rows = results.map((r) => [
  r.title,
  String(r.runs),
  !r.ok ? `FAIL (${r.failures.length})` : r.skipped ? 'skipped' : 'pass',
  `${r.line} [${r.seconds} s]`,
]);
const header = ['campaign', 'runs', 'result', 'figures'];
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
const widthsShown = widths.map((w, i) => (i === 3 ? Math.min(w, 200) : w));
const line = (cells) => `| ${cells.map((c, i) => c.padEnd(widthsShown[i])).join(' | ')} |`;
console.log(`\nreliability suite, seed ${seed}${quick ? ' (quick)' : ''}, ${((Date.now() - suiteStarted) / 1000).toFixed(0)} s: ${command}\n`);
console.log(line(header));
console.log(`|${widthsShown.map((w) => '-'.repeat(w + 2)).join('|')}|`);
for (const row of rows) console.log(line(row));
const failed = results.filter((r) => !r.ok);
for (const r of failed) {
  console.log(`\n${r.title} failed:`);
  for (const f of r.failures.slice(0, 20)) console.log(`  - ${f}`);
  if (r.failures.length > 20) console.log(`  … and ${r.failures.length - 20} more`);
}
const skipped = results.filter((r) => r.ok && r.skipped);
const skippedNote = skipped.length
  ? `; ${skipped.length} skipped, not passed: ${skipped.map((r) => `${r.id} (${r.line.replace(/^skipped: /, '')})`).join(', ')}`
  : '';
console.log(
  failed.length
    ? `\n${failed.length} of ${results.length} campaigns failed (seed ${seed})${skippedNote}`
    : `\n${results.length - skipped.length} of ${results.length} campaigns passed (seed ${seed})${skippedNote}`,
);
if (values.json) console.log(`RESULTS ${JSON.stringify({ seed, quick, results })}`);
process.exit(failed.length ? 1 : 0);
