#!/usr/bin/env node
// `mbcap-ingestor apply` against a bare UPDATE loop, in the same run:
//   node bench/apply.mjs [--entries 200000] [--runs 3] [--json]
//
// all-change: every row gets a new value (half the keys in nodes, half in inactive_nodes);
// ours is the apply's own durationMs (read, verify, validate, apply, ledger, commit), the
// baseline's its own time from reading the file to the commit.
// unchanged: apply again, the file untouched: a tick on an already-applied snapshot.
// few-change: the next snapshot changes 1 % of the rows: ours writes those rows only, the
// bare loop updates them all.
// memory: the apply process's peak RSS against the snapshot file's size.
import { copyFileSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import { writeSnapshot } from '@mbcap/snapshot';
import { median, round, runNode } from './lib/stats.mjs';

const { values } = parseArgs({
  options: { entries: { type: 'string', default: '200000' }, runs: { type: 'string', default: '3' }, json: { type: 'boolean', default: false } },
});
const N = Number(values.entries);
const runs = Number(values.runs);
const ingestor = new URL('../apps/ingestor/bin/mbcap-ingestor.js', import.meta.url).pathname;
const baseline = new URL('./apply-baseline.mjs', import.meta.url).pathname;

// A database of N nodes, all unknown, and a snapshot that changes every one of them
const dir = mkdtempSync(join(tmpdir(), 'mbcap-bench-apply-'));
const pristine = join(dir, 'pristine.db');
spawnSync(process.execPath, [ingestor, 'migrate', '--db', pristine], { stdio: 'ignore' });
const key = (i) => i.toString(16).padStart(64, '0');
{
  const db = new Database(pristine);
  db.transaction(() => {
    const active = db.prepare('INSERT INTO nodes (public_key, name) VALUES (?, ?)');
    const inactive = db.prepare('INSERT INTO inactive_nodes (public_key, name) VALUES (?, ?)');
    for (let i = 0; i < N; i++) (i % 2 ? inactive : active).run(key(i), `node ${i}`);
  })();
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
}
const db = join(dir, 'mesh.db');
const entries = Array.from({ length: N }, (_, i) =>
  i % 3 === 0 ? { public_key: key(i), status: 'suspected', evidence: 'path' } : { public_key: key(i), status: 'confirmed', evidence: 'advert' },
);
const written = await writeSnapshot(db, { entries });
const fileMb = statSync(written.path).size / 1048576;

// The next snapshot: 1 % of the rows change (upward, or confirmed with other evidence:
// a stored value only rises, so a confirmed row told suspected would not change)
const next = entries.map((e, i) =>
  i % 100 === 0 ? { public_key: e.public_key, status: 'confirmed', evidence: e.status === 'confirmed' ? 'path' : 'advert' } : e,
);

const fresh = () => {
  for (const suffix of ['-wal', '-shm']) rmSync(db + suffix, { force: true });
  copyFileSync(pristine, db);
};

const ours = [];
const base = [];
const unchanged = [];
const few = [];
const fewBase = [];
let peakRssMb = 0;
for (let i = 0; i < runs; i++) {
  fresh();
  const b = await runNode([baseline, db, written.path]);
  base.push(JSON.parse(b.stdout).ms);
  fresh();
  const o = await runNode([ingestor, 'apply', '--db', db, '--json', '--no-migrate']);
  const out = JSON.parse(o.stdout);
  if (out.status !== 'applied' || out.updatedActive + out.updatedInactive !== N) throw new Error(`apply did not update every row: ${o.stdout}`);
  ours.push(out.durationMs);
  peakRssMb = Math.max(peakRssMb, o.peakRssMb);
  const again = JSON.parse((await runNode([ingestor, 'apply', '--db', db, '--json', '--no-migrate'])).stdout);
  if (again.status !== 'unchanged') throw new Error(`second apply was ${again.status}`);
  unchanged.push(again.durationMs);
  // The next snapshot, over the applied state (a copy of it for the baseline)
  copyFileSync(db, `${db}.applied`);
  await writeSnapshot(db, { entries: next });
  const f = JSON.parse((await runNode([ingestor, 'apply', '--db', db, '--json', '--no-migrate'])).stdout);
  if (f.status !== 'applied' || f.updatedActive + f.updatedInactive !== Math.ceil(N / 100)) throw new Error(`the 1 % apply: ${JSON.stringify(f)}`);
  few.push(f.durationMs);
  for (const suffix of ['-wal', '-shm']) rmSync(db + suffix, { force: true });
  copyFileSync(`${db}.applied`, db);
  fewBase.push(JSON.parse((await runNode([baseline, db, written.path])).stdout).ms);
  await writeSnapshot(db, { entries });
}
rmSync(dir, { recursive: true, force: true });

const result = {
  what: 'apply',
  entries: N,
  runs,
  allChange: { oursMs: round(median(ours)), baselineMs: round(median(base)), ratio: round(median(ours) / median(base), 2) },
  fewChange: { oursMs: round(median(few)), baselineMs: round(median(fewBase)), ratio: round(median(few) / median(fewBase), 2) },
  unchanged: { oursMs: round(median(unchanged), 2), fullApplyMs: round(median(ours)), percent: round((100 * median(unchanged)) / median(ours), 2) },
  memory: { peakRssMb: round(peakRssMb), fileMb: round(fileMb), ratio: round(peakRssMb / fileMb, 2) },
};
if (values.json) console.log(JSON.stringify(result));
else {
  console.log(
    `apply, ${N} entries, every row changes (median of ${runs}): ${result.allChange.oursMs} ms; bare UPDATE loop ${result.allChange.baselineMs} ms; ratio ${result.allChange.ratio} (target <= 1.0)`,
  );
  console.log(`apply, 1 % of rows change: ${result.fewChange.oursMs} ms; bare UPDATE loop ${result.fewChange.baselineMs} ms; ratio ${result.fewChange.ratio}`);
  console.log(`apply, nothing changed: ${result.unchanged.oursMs} ms = ${result.unchanged.percent} % of the full apply (target <= 2 %)`);
  console.log(`apply peak RSS ${result.memory.peakRssMb} MB for a ${result.memory.fileMb} MB snapshot: ${result.memory.ratio}x (target <= 3x at 1M entries)`);
}
