#!/usr/bin/env node
// The price of commits that survive a power cut: the ingestor as it runs (--synchronous
// full, the -wal fsynced at every commit) against --synchronous normal (fsynced at
// checkpoints only), in the same run, alternating:
//
//   node bench/durability.mjs [--entries 200000] [--packets 20000] [--runs 3] [--json]
//
// apply: a snapshot that changes every row, then one that changes 1 % (one commit each);
// each side's own durationMs (read, verify, apply, ledger, commit).
// import: --packets lines (real packets, each with its own hash) in the import's batches
// of 1000 lines, one commit each; the summary's durationMs.
// one commit: what one acknowledgement costs alone, 100 one-row commits on the same
// database (better-sqlite3 directly, as the ingestor opens it), the mean per commit.
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import { writeSnapshot } from '@mbcap/snapshot';
import { median, round, runNode } from './lib/stats.mjs';

const { values } = parseArgs({
  options: {
    entries: { type: 'string', default: '200000' },
    packets: { type: 'string', default: '20000' },
    runs: { type: 'string', default: '3' },
    json: { type: 'boolean', default: false },
  },
});
const N = Number(values.entries);
const P = Number(values.packets);
const runs = Number(values.runs);
const ingestor = new URL('../apps/ingestor/bin/mbcap-ingestor.js', import.meta.url).pathname;
const realPackets = new URL('../apps/demo/data/real-packets.jsonl', import.meta.url).pathname;

// A database of N nodes, all unknown; a snapshot changing every row; the next one, 1 %
const dir = mkdtempSync(join(tmpdir(), 'mbcap-bench-durability-'));
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
const entries = Array.from({ length: N }, (_, i) => ({
  public_key: key(i),
  status: i % 3 === 0 ? 'suspected' : 'confirmed',
  evidence: i % 3 === 0 ? 'path' : 'advert',
}));
const next = entries.map((e, i) =>
  i % 100 === 0 ? { public_key: e.public_key, status: 'confirmed', evidence: e.status === 'confirmed' ? 'path' : 'advert' } : e,
);
const real = readFileSync(realPackets, 'utf8')
  .split('\n')
  .filter(Boolean)
  .map((l) => JSON.parse(l));
const packetsFile = join(dir, 'packets.jsonl');
writeFileSync(
  packetsFile,
  `${Array.from({ length: P }, (_, i) => JSON.stringify({ ...real[i % real.length], hash: `bench${i.toString(16).padStart(12, '0')}` })).join('\n')}\n`,
);

const fresh = () => {
  for (const suffix of ['-wal', '-shm']) rmSync(db + suffix, { force: true });
  copyFileSync(pristine, db);
};
const cli = async (args) => JSON.parse((await runNode([ingestor, ...args, '--db', db, '--json', '--no-migrate'])).stdout);

const times = { full: { all: [], few: [], import: [] }, normal: { all: [], few: [], import: [] } };
for (let i = 0; i < runs; i++) {
  for (const level of i % 2 ? ['normal', 'full'] : ['full', 'normal']) {
    const t = times[level];
    fresh();
    await writeSnapshot(db, { entries });
    const all = await cli(['apply', '--synchronous', level]);
    if (all.status !== 'applied' || all.updatedActive + all.updatedInactive !== N)
      throw new Error(`apply (${level}) did not update every row: ${JSON.stringify(all)}`);
    t.all.push(all.durationMs);
    await writeSnapshot(db, { entries: next });
    const few = await cli(['apply', '--synchronous', level]);
    if (few.status !== 'applied') throw new Error(`the 1 % apply (${level}): ${JSON.stringify(few)}`);
    t.few.push(few.durationMs);
    const imported = await cli(['import', packetsFile, '--synchronous', level]);
    if (imported.status !== 'complete' || imported.stored !== P)
      throw new Error(`import (${level}) stored ${imported.stored} of ${P}: ${JSON.stringify(imported)}`);
    t.import.push(imported.durationMs);
  }
}
// One small commit, 100 times, each level
const commitMs = {};
for (const level of ['full', 'normal']) {
  fresh();
  const handle = new Database(db);
  handle.pragma(`synchronous = ${level}`);
  const update = handle.prepare('UPDATE nodes SET multibyte_sup = ? WHERE public_key = ?');
  const t0 = performance.now();
  for (let i = 0; i < 100; i++) update.run(i % 3, key(2 * i));
  commitMs[level] = (performance.now() - t0) / 100;
  handle.close();
}
rmSync(dir, { recursive: true, force: true });

const pair = (what) => {
  const full = median(times.full[what]);
  const normal = median(times.normal[what]);
  return { fullMs: round(full), normalMs: round(normal), ratio: round(full / normal, 2), extraMs: round(full - normal) };
};
const result = {
  what: 'durability',
  entries: N,
  packets: P,
  runs,
  applyAll: pair('all'),
  applyFew: pair('few'),
  import: pair('import'),
  commit: {
    fullMs: round(commitMs.full, 2),
    normalMs: round(commitMs.normal, 2),
    ratio: round(commitMs.full / commitMs.normal, 1),
    extraMs: round(commitMs.full - commitMs.normal, 2),
  },
};
if (values.json) console.log(JSON.stringify(result));
else {
  console.log(
    `apply, ${N} entries, every row changes (median of ${runs}): synchronous=full ${result.applyAll.fullMs} ms, normal ${result.applyAll.normalMs} ms, ratio ${result.applyAll.ratio}`,
  );
  console.log(`apply, 1 % of rows change: full ${result.applyFew.fullMs} ms, normal ${result.applyFew.normalMs} ms, ratio ${result.applyFew.ratio}`);
  console.log(`import, ${P} packets: full ${result.import.fullMs} ms, normal ${result.import.normalMs} ms, ratio ${result.import.ratio}`);
  console.log(`one small commit: full ${result.commit.fullMs} ms, normal ${result.commit.normalMs} ms (+${result.commit.extraMs} ms each)`);
}
