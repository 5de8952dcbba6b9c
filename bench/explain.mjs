#!/usr/bin/env node
// Explanations under `run`: what keeping them costs the cycle, and how fast one is answered
// from what the cycle kept, against the scan `mbcap-server explain` does, in one process:
//
//   node bench/explain.mjs [--nodes 20000] [--packets 1000000] [--runs 3] [--asks 500]
//
// Cycle: computeCapabilities with and without `keep`, alternated; the baseline is a bare
// raw iterate() over the same columns (the fastest scan the stack offers). Answer: the kept
// explanation of `asks` nodes drawn from every status, p50/p99/max, against one scan.
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import { meshDb } from './lib/mesh-db.mjs';
import { median, percentile, round } from './lib/stats.mjs';

const { values } = parseArgs({
  options: {
    nodes: { type: 'string', default: '20000' },
    packets: { type: 'string', default: '1000000' },
    runs: { type: 'string', default: '3' },
    asks: { type: 'string', default: '500' },
    json: { type: 'boolean', default: false },
  },
});
const nodes = Number(values.nodes);
const packets = Number(values.packets);
const runs = Number(values.runs);
const asks = Number(values.asks);

const server = (file) => new URL(`../apps/server/dist/${file}`, import.meta.url).href;
const { computeCapabilities } = await import(server('compute.js'));
const { openServerDatabase } = await import(server('database.js'));
const { explainKept } = await import(server('explain-kept.js'));
const { explainNode } = await import(server('explain-node.js'));

const path = meshDb({ nodes, packets });
const source = openServerDatabase(path);
const now = Date.now();

function bare() {
  const db = new Database(path, { readonly: true });
  const started = performance.now();
  let n = 0;
  for (const row of db.prepare('SELECT raw_hex, payload_type, decoded_json, first_seen, path_json, rowid FROM transmissions').raw().iterate()) if (row) n++;
  db.close();
  if (n !== packets) throw new Error(`the bare scan read ${n} rows, expected ${packets}`);
  return performance.now() - started;
}

// The cycle, with and without keeping
const plain = [];
const keeping = [];
const baseline = [];
let result = null;
for (let i = 0; i < runs; i++) {
  baseline.push(bare());
  let started = performance.now();
  computeCapabilities(source, { windowMs: null, now });
  plain.push(performance.now() - started);
  started = performance.now();
  result = computeCapabilities(source, { windowMs: null, now, keep: true });
  keeping.push(performance.now() - started);
}
const { kept, entries } = result;
const keptMb =
  [
    kept.advertMax,
    kept.pathMax,
    kept.bySize,
    kept.zeroHopDirect,
    kept.hopLengths,
    ...[kept.adverts, kept.paths].flatMap((l) => [l.time, l.rowid, l.hop, l.filled, l.total]),
  ].reduce((n, a) => n + a.byteLength, 0) /
  2 ** 20;

// Answers, nodes of every status in turn
const byStatus = { confirmed: [], suspected: [], unknown: [] };
for (const e of entries) byStatus[e.status].push(e.public_key);
const times = [];
for (let i = 0; i < asks; i++) {
  const list = [byStatus.confirmed, byStatus.suspected, byStatus.unknown].filter((l) => l.length > 0)[i % 3] ?? entries.map((e) => e.public_key);
  const key = list[(i * 7919) % list.length];
  const started = performance.now();
  const answer = explainKept(source, kept, key);
  times.push(performance.now() - started);
  if (answer === null) throw new Error(`no explanation for ${key}`);
}
const started = performance.now();
explainNode(source, byStatus.confirmed[0] ?? entries[0].public_key, { windowMs: null, now });
const scanMs = performance.now() - started;
source.db.close();

const out = {
  what: 'explain',
  nodes,
  packets,
  runs,
  cycleMs: round(median(plain)),
  cycleKeepingMs: round(median(keeping)),
  bareMs: round(median(baseline)),
  keepingRatio: round(median(keeping) / median(plain), 2),
  keepingVsBare: round(median(keeping) / median(baseline), 2),
  keptMb: round(keptMb),
  asks,
  answerP50Ms: round(percentile(times, 50), 2),
  answerP99Ms: round(percentile(times, 99), 2),
  answerMaxMs: round(Math.max(...times), 2),
  scanMs: round(scanMs),
};
if (values.json) console.log(JSON.stringify(out));
else {
  console.log(`explain: ${packets} packets, ${nodes} nodes (median of ${runs})`);
  console.log(
    `  cycle ${out.cycleMs} ms; keeping explanations ${out.cycleKeepingMs} ms (${out.keepingRatio}×; ${out.keptMb} MB kept); bare raw iterate() ${out.bareMs} ms (keeping: ${out.keepingVsBare}×)`,
  );
  console.log(
    `  answer from what was kept, ${asks} nodes: p50 ${out.answerP50Ms} ms, p99 ${out.answerP99Ms} ms, max ${out.answerMaxMs} ms (target <= 100 ms); one scan: ${out.scanMs} ms`,
  );
}
