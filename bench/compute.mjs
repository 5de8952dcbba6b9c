#!/usr/bin/env node
// `mbcap-server publish` on a large database against a bare scan of the same rows, in the
// same run: node bench/compute.mjs [--nodes 20000] [--packets 1000000] [--runs 3]
//
// Ours: the whole publish (read nodes, stream the packets that can be evidence or an advert,
// apply the rules, write the snapshot durably), its own durationMs; the process's peak RSS.
// Baseline: .raw().iterate() over every row of the same columns doing nothing, in a process
// of its own (scan-baseline.mjs).
import { parseArgs } from 'node:util';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { meshDb } from './lib/mesh-db.mjs';
import { median, round, runNode } from './lib/stats.mjs';

const { values } = parseArgs({
  options: {
    nodes: { type: 'string', default: '20000' },
    packets: { type: 'string', default: '1000000' },
    runs: { type: 'string', default: '3' },
    json: { type: 'boolean', default: false },
  },
});
const nodes = Number(values.nodes);
const packets = Number(values.packets);
const runs = Number(values.runs);

const built = performance.now();
const source = meshDb({ nodes, packets });
const buildMs = performance.now() - built;
// Publish next to a link of the cached database, so the cache stays clean
const dir = mkdtempSync(join(tmpdir(), 'mbcap-bench-compute-'));
const db = join(dir, 'mesh.db');
symlinkSync(source, db);
const server = new URL('../apps/server/bin/mbcap-server.js', import.meta.url).pathname;
const baseline = new URL('./scan-baseline.mjs', import.meta.url).pathname;

const ours = [];
const base = [];
// CPU time of each whole process (startup included): steadier than wall time on a busy machine
const oursCpu = [];
const baseCpu = [];
let rss = 0;
let baseRss = 0;
for (let i = 0; i < runs; i++) {
  const b = await runNode([baseline, source]);
  base.push(JSON.parse(b.stdout).ms);
  baseCpu.push(b.cpuMs);
  baseRss = Math.max(baseRss, b.peakRssMb);
  const o = await runNode([server, 'publish', '--db', db, '--window', 'all', '--json']);
  ours.push(JSON.parse(o.stdout).durationMs);
  oursCpu.push(o.cpuMs);
  rss = Math.max(rss, o.peakRssMb);
}
rmSync(dir, { recursive: true, force: true });

const result = {
  what: 'compute',
  nodes,
  packets,
  runs,
  oursMs: round(median(ours)),
  baselineMs: round(median(base)),
  ratio: round(median(ours) / median(base), 2),
  oursCpuMs: round(median(oursCpu)),
  baselineCpuMs: round(median(baseCpu)),
  cpuRatio: round(median(oursCpu) / median(baseCpu), 2),
  peakRssMb: round(rss),
  baselinePeakRssMb: round(baseRss),
  buildMs: round(buildMs),
};
if (values.json) console.log(JSON.stringify(result));
else {
  console.log(
    `compute: publish over ${packets} transmissions, ${nodes} nodes (median of ${runs}): ${result.oursMs} ms; bare .raw().iterate() of every row ${result.baselineMs} ms; ratio ${result.ratio} (target <= 1.3)`,
  );
  console.log(
    `         CPU of each whole process: ${result.oursCpuMs} ms against ${result.baselineCpuMs} ms; ratio ${result.cpuRatio} (load average ${loadavg()[0].toFixed(1)})`,
  );
  console.log(`         peak RSS ${result.peakRssMb} MB (target <= 300 MB; the bare scan's process: ${result.baselinePeakRssMb} MB)`);
}
