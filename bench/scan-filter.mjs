#!/usr/bin/env node
// What filtering the packet scan inside SQLite buys (apps/server/src/scan.ts), in one process:
//
//   node bench/scan-filter.mjs [--nodes 20000] [--packets 1000000] [--runs 5] [--tail 1000]
//
// The cycle: computeCapabilities reading only adverts and multi-byte packets, against its
// plain twin reading every row, and a bare `.raw().iterate()` of every row doing nothing,
// alternated; wall and CPU time, medians. The incremental shape: the rows after a rowid, in
// rowid order, reading the last `tail` rows, filtered and not.
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import { meshDb } from './lib/mesh-db.mjs';
import { median, round } from './lib/stats.mjs';

const { values } = parseArgs({
  options: {
    nodes: { type: 'string', default: '20000' },
    packets: { type: 'string', default: '1000000' },
    runs: { type: 'string', default: '5' },
    tail: { type: 'string', default: '1000' },
    json: { type: 'boolean', default: false },
  },
});
const nodes = Number(values.nodes);
const packets = Number(values.packets);
const runs = Number(values.runs);
const tail = Number(values.tail);

const server = (file) => new URL(`../apps/server/dist/${file}`, import.meta.url).href;
const { computeCapabilities } = await import(server('compute.js'));
const { openServerDatabase } = await import(server('database.js'));
const { packetScanSql } = await import(server('scan.js'));

const path = meshDb({ nodes, packets });
const source = openServerDatabase(path);

/** Wall and CPU milliseconds of `work`. */
function timed(work) {
  const cpu = process.cpuUsage();
  const started = performance.now();
  const value = work();
  const wall = performance.now() - started;
  const used = process.cpuUsage(cpu);
  return { wall, cpu: (used.user + used.system) / 1000, value };
}

function bare() {
  const db = new Database(path, { readonly: true });
  let n = 0;
  for (const row of db.prepare('SELECT raw_hex, payload_type, decoded_json, first_seen, path_json, rowid FROM transmissions').raw().iterate()) if (row) n++;
  db.close();
  if (n !== packets) throw new Error(`the bare scan read ${n} rows, expected ${packets}`);
}

// The cycle, three ways, alternated
const times = { bare: [], every: [], filtered: [] };
let read = 0;
for (let i = 0; i < runs; i++) {
  times.bare.push(timed(bare));
  times.every.push(timed(() => computeCapabilities(source, { windowMs: null, filter: false })));
  const filtered = timed(() => computeCapabilities(source, { windowMs: null }));
  read = filtered.value.stats.packets;
  times.filtered.push(filtered);
}
const med = (xs, key) => round(median(xs.map((x) => x[key])));

// The incremental shape: the last `tail` rows
const last = source.db.prepare('SELECT max(rowid) FROM transmissions').pluck().get();
const incremental = {};
for (const filter of [true, false]) {
  const statement = source.db.prepare(packetScanSql(source, { filter, afterId: true })).raw();
  const ms = [];
  let rows = 0;
  for (let i = 0; i < 50; i++) {
    const started = performance.now();
    rows = 0;
    for (const row of statement.iterate(last - tail)) if (row) rows++;
    ms.push(performance.now() - started);
  }
  incremental[filter ? 'filtered' : 'every'] = { ms: round(median(ms), 2), rows };
}
source.db.close();

const result = {
  what: 'scan-filter',
  nodes,
  packets,
  runs,
  rowsRead: read,
  bareMs: med(times.bare, 'wall'),
  everyMs: med(times.every, 'wall'),
  filteredMs: med(times.filtered, 'wall'),
  bareCpuMs: med(times.bare, 'cpu'),
  everyCpuMs: med(times.every, 'cpu'),
  filteredCpuMs: med(times.filtered, 'cpu'),
  ratioFilteredToBare: round(med(times.filtered, 'wall') / med(times.bare, 'wall'), 2),
  ratioEveryToBare: round(med(times.every, 'wall') / med(times.bare, 'wall'), 2),
  tail,
  incremental,
};
if (values.json) console.log(JSON.stringify(result));
else {
  console.log(
    `scan-filter: ${packets} transmissions, ${nodes} nodes, median of ${runs}; ${read} rows (${round((100 * read) / packets)} %) are adverts or multi-byte`,
  );
  console.log(`  bare .raw().iterate() of every row  ${result.bareMs} ms (cpu ${result.bareCpuMs} ms)`);
  console.log(`  compute, every row                  ${result.everyMs} ms (cpu ${result.everyCpuMs} ms)  ratio ${result.ratioEveryToBare}`);
  console.log(`  compute, filtered in SQLite         ${result.filteredMs} ms (cpu ${result.filteredCpuMs} ms)  ratio ${result.ratioFilteredToBare}`);
  console.log(
    `  after a rowid, the last ${tail} rows:   filtered ${incremental.filtered.ms} ms (${incremental.filtered.rows} rows), every row ${incremental.every.ms} ms (${incremental.every.rows} rows)`,
  );
}
