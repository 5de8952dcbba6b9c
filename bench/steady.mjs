#!/usr/bin/env node
// `run`'s steady cycle: what one cycle costs once the index is built, when `--batch` new
// packets (the mesh's own mix) arrived since the last one, against a cold compute of the
// same database in the same run:
//
//   node bench/steady.mjs [--nodes 20000] [--packets 1000000] [--runs 9] [--batch 1000]
//
// The cycle is the worker's whole cycle (run-cycle.ts): read the new rows, take out the rows
// leaving the 7-day window, compute every entry again when something changed, compare with
// the snapshot on disk, write it when a status changed. Cold: the same cycle's first, full
// pass; and computeCapabilities (what `publish` does) for reference.
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import { meshDb, meshParts } from './lib/mesh-db.mjs';
import { median, percentile, round } from './lib/stats.mjs';

const { values } = parseArgs({
  options: {
    nodes: { type: 'string', default: '20000' },
    packets: { type: 'string', default: '1000000' },
    runs: { type: 'string', default: '9' },
    batch: { type: 'string', default: '1000' },
    json: { type: 'boolean', default: false },
  },
});
const nodes = Number(values.nodes);
const packets = Number(values.packets);
const runs = Number(values.runs);
const batch = Number(values.batch);
const DAY = 86_400_000;

const server = (file) => new URL(`../apps/server/dist/${file}`, import.meta.url).href;
const { createRunCycle } = await import(server('run-cycle.js'));
const { computeCapabilities } = await import(server('compute.js'));
const { openServerDatabase } = await import(server('database.js'));

// A copy: packets are added to it
const dir = mkdtempSync(join(tmpdir(), 'mbcap-bench-steady-'));
const path = join(dir, 'mesh.db');
copyFileSync(meshDb({ nodes, packets }), path);

try {
  const source = openServerDatabase(path);
  const computeStarted = performance.now();
  computeCapabilities(source, { windowMs: 7 * DAY });
  const computeMs = performance.now() - computeStarted;
  source.db.close();

  const run = createRunCycle(path, { windowMs: 7 * DAY, minIntervalMs: 0, resyncMs: 7 * DAY });
  const cold = await run.cycle();
  if (cold.record.error) throw new Error(cold.record.error);

  // The mesh goes on: `batch` packets of its mix a step, first_seen now
  const writer = new Database(path);
  // The same nodes (the same seed), the same mix
  const make = meshParts({ nodes }).packets;
  const insert = writer.prepare(
    'INSERT INTO transmissions (raw_hex, hash, first_seen, route_type, payload_type, payload_version, decoded_json, path_json) VALUES (?, ?, ?, ?, ?, 0, ?, ?)',
  );
  let n = 0;
  const steady = [];
  let published = 0;
  for (let i = 0; i < runs; i++) {
    writer.transaction(() => {
      for (let j = 0; j < batch; j++) {
        const [raw, , route, type, decoded, pathJson] = make(Date.now(), 0);
        insert.run(raw, `steady${n++}`, new Date().toISOString(), route, type, decoded, pathJson);
      }
    })();
    const outcome = await run.cycle();
    if (outcome.record.error) throw new Error(outcome.record.error);
    if (outcome.record.fullPass) throw new Error(`a steady cycle was a full pass: ${outcome.record.fullPass}`);
    if (!outcome.record.unchanged) published++;
    steady.push(outcome.record.durationMs);
  }
  writer.close();
  run.close();

  const result = {
    what: 'steady',
    nodes,
    packets,
    batch,
    runs,
    steadyMs: round(median(steady)),
    steadyP90Ms: round(percentile(steady, 90)),
    steadyMaxMs: round(Math.max(...steady)),
    published,
    coldCycleMs: round(cold.record.durationMs),
    computeMs: round(computeMs),
    ratio: round(median(steady) / cold.record.durationMs, 3),
  };
  if (values.json) console.log(JSON.stringify(result));
  else {
    console.log(
      `steady: ${batch} new packets on ${packets} / ${nodes} nodes, median of ${runs} cycles: ${result.steadyMs} ms (p90 ${result.steadyP90Ms}, max ${result.steadyMaxMs}; ${published} of them published); target <= 50 ms`,
    );
    console.log(
      `        cold cycle (full pass) ${result.coldCycleMs} ms, computeCapabilities ${result.computeMs} ms; steady / cold = ${(result.ratio * 100).toFixed(1)} % (target <= 3 %)`,
    );
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
