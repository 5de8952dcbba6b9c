#!/usr/bin/env node
// `mbcap-ingestor apply` of a snapshot whose keys were chosen to collide in the key index
// (bench/lib/flood-keys.mjs: all on one slot of an unseeded FNV-1a index),
// against the same apply with random keys of the same count:
//   node bench/hash-flood.mjs [--entries 120000,1000000] [--runs 1] [--timeout 300s] [--json]
//
// Every row changes (half the keys in nodes, half in inactive_nodes). The time is the
// apply's own durationMs (the median of --runs); an apply still running at --timeout is
// stopped and reported as more than that. A ratio near 1 means the chosen keys cost
// nothing extra.
import { mkdtempSync, rmSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import { writeSnapshot } from '@mbcap/snapshot';
import { collidingKeys, randomKeys } from './lib/flood-keys.mjs';
import { median, round, runNode } from './lib/stats.mjs';

const { values } = parseArgs({
  options: {
    entries: { type: 'string', default: '120000,1000000' },
    runs: { type: 'string', default: '1' },
    timeout: { type: 'string', default: '300' },
    json: { type: 'boolean', default: false },
  },
});
const runs = Number(values.runs);
const sizes = values.entries.split(',').map(Number);
const timeoutMs = Number(values.timeout.replace(/s$/, '')) * 1000;
const ingestor = new URL('../apps/ingestor/bin/mbcap-ingestor.js', import.meta.url).pathname;

/** Applies a snapshot of `keys` (each row changes) to fresh databases holding them: median ms, peak RSS, or null when stopped. */
async function apply(keys) {
  const ms = [];
  let peakRssMb = 0;
  for (let r = 0; r < runs; r++) {
    const once = await applyOnce(keys);
    if (once === null) return null;
    ms.push(once.ms);
    peakRssMb = Math.max(peakRssMb, once.peakRssMb);
  }
  return { ms: median(ms), peakRssMb };
}

async function applyOnce(keys) {
  const dir = mkdtempSync(join(tmpdir(), 'mbcap-bench-flood-'));
  try {
    const db = join(dir, 'mesh.db');
    spawnSync(process.execPath, [ingestor, 'migrate', '--db', db], { stdio: 'ignore' });
    const conn = new Database(db);
    conn.transaction(() => {
      const active = conn.prepare('INSERT INTO nodes (public_key, name) VALUES (?, ?)');
      const inactive = conn.prepare('INSERT INTO inactive_nodes (public_key, name) VALUES (?, ?)');
      keys.forEach((key, i) => (i % 2 ? inactive : active).run(key, `node ${i}`));
    })();
    conn.pragma('wal_checkpoint(TRUNCATE)');
    conn.close();
    await writeSnapshot(db, { entries: keys.map((key) => ({ public_key: key, status: 'confirmed', evidence: 'advert' })) });
    let o;
    try {
      o = await runNode([ingestor, 'apply', '--db', db, '--json', '--no-migrate'], { timeout: timeoutMs });
    } catch {
      return null;
    }
    const out = JSON.parse(o.stdout);
    if (out.status !== 'applied' || out.updatedActive + out.updatedInactive !== keys.length) throw new Error(`apply did not update every row: ${o.stdout}`);
    return { ms: out.durationMs, peakRssMb: o.peakRssMb };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const results = [];
for (const n of sizes) {
  const flood = await apply(collidingKeys(n));
  const random = await apply(randomKeys(n));
  results.push({
    entries: n,
    collidingMs: flood ? round(flood.ms) : null,
    collidingPeakRssMb: flood ? round(flood.peakRssMb) : null,
    randomMs: round(random.ms),
    randomPeakRssMb: round(random.peakRssMb),
    ratio: flood ? round(flood.ms / random.ms, 2) : null,
    stoppedAfterMs: flood ? null : timeoutMs,
    runs,
  });
}

if (values.json) console.log(JSON.stringify({ what: 'hash-flood', results }));
else {
  for (const r of results) {
    const flood =
      r.collidingMs === null ? `more than ${round(r.stoppedAfterMs / 1000)} s (stopped)` : `${r.collidingMs} ms (peak RSS ${r.collidingPeakRssMb} MB)`;
    const ratio = r.ratio === null ? `more than ${round(r.stoppedAfterMs / r.randomMs)}` : r.ratio;
    console.log(`apply, ${r.entries} keys chosen to collide: ${flood}; random keys: ${r.randomMs} ms (peak RSS ${r.randomPeakRssMb} MB); ratio ${ratio}`);
  }
}
