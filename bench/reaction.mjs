#!/usr/bin/env node
// Reaction of `mbcap-ingestor run`: from a publish to the rows committed.
//
//   node bench/reaction.mjs [--entries 10000] [--publishes 100] [--bursts 50]
//
// A real ingestor process watches a real directory; this process publishes with
// writeSnapshot and reads the ingestor's JSON log. Latency = the log line's time, taken
// right after the commit, minus the moment the file was replaced: the snapshot's change
// time (ctime), which the rename sets. Also reported: from the start of the publish
// (writtenAt, before serialising and fsync), an upper bound.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import { writeSnapshot } from '@mbcap/snapshot';

const { values } = parseArgs({
  options: {
    entries: { type: 'string', default: '10000' },
    publishes: { type: 'string', default: '100' },
    bursts: { type: 'string', default: '50' },
    json: { type: 'boolean', default: false },
  },
});
const N = Number(values.entries);
const PUBLISHES = Number(values.publishes);
const BURSTS = Number(values.bursts);
const bin = new URL('../apps/ingestor/bin/mbcap-ingestor.js', import.meta.url).pathname;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// A database with N nodes, half of them inactive
const dir = mkdtempSync(join(tmpdir(), 'mbcap-bench-reaction-'));
const db = join(dir, 'mesh.db');
spawnSync(process.execPath, [bin, 'migrate', '--db', db], { stdio: 'ignore' });
const conn = new Database(db);
const key = (i) => i.toString(16).padStart(64, '0');
conn.transaction(() => {
  const active = conn.prepare('INSERT INTO nodes (public_key, name) VALUES (?, ?)');
  const inactive = conn.prepare('INSERT INTO inactive_nodes (public_key, name) VALUES (?, ?)');
  for (let i = 0; i < N; i++) (i % 2 ? inactive : active).run(key(i), `node ${i}`);
})();
conn.close();

// The ingestor, and what it says
const child = spawn(process.execPath, [bin, 'run', '--db', db, '--log-format', 'json', '--cron', '0 0 1 1 *'], { stdio: ['ignore', 'ignore', 'pipe'] });
const applied = new Map(); // seq → commit time (ms)
const waiters = new Map();
let buffer = '';
let ready = false;
child.stderr.on('data', (chunk) => {
  buffer += chunk;
  let nl;
  while ((nl = buffer.indexOf('\n')) >= 0) {
    const line = JSON.parse(buffer.slice(0, nl));
    buffer = buffer.slice(nl + 1);
    if (line.event === 'ready') ready = true;
    if (line.event === 'applied') {
      applied.set(line.seq, Date.parse(line.time));
      waiters.get(line.seq)?.();
    }
  }
});
while (!ready) await sleep(10);

const entriesFor = (round) =>
  Array.from({ length: N }, (_, i) => ({
    public_key: key(i),
    status: (i + round) % 3 === 0 ? 'unknown' : (i + round) % 3 === 1 ? 'suspected' : 'confirmed',
    evidence: (i + round) % 3 === 1 ? 'path' : 'advert',
  })).map((e) => (e.status === 'unknown' ? { public_key: e.public_key, status: 'unknown' } : e));

function waitApplied(seq, ms) {
  if (applied.has(seq)) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    waiters.set(seq, () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

// 1. Single publishes, every row changing each time
const latencies = [];
const fromStart = [];
for (let i = 0; i < PUBLISHES; i++) {
  const writtenAt = new Date();
  const { seq, path } = await writeSnapshot(db, { writtenAt, entries: entriesFor(i) });
  const replacedAt = statSync(path).ctimeMs;
  if (!(await waitApplied(seq, 5000))) throw new Error(`seq ${seq} not applied within 5 s`);
  latencies.push(Math.max(0, applied.get(seq) - replacedAt));
  fromStart.push(applied.get(seq) - writtenAt.getTime());
  await sleep(20);
}

// 2. Bursts: 5 publishes 5 ms apart; the last of each must be applied
let burstsOk = 0;
const burstDelays = [];
for (let b = 0; b < BURSTS; b++) {
  let last = 0;
  for (let k = 0; k < 5; k++) {
    last = (await writeSnapshot(db, { entries: entriesFor(1000 + b * 5 + k) })).seq;
    await sleep(5);
  }
  const end = Date.now();
  if (await waitApplied(last, 2000)) {
    burstsOk++;
    burstDelays.push(Math.max(0, applied.get(last) - end));
  }
  await sleep(50);
}
child.kill('SIGTERM');
await new Promise((r) => child.on('close', r));
rmSync(dir, { recursive: true, force: true });

const pct = (xs, p) => Math.round([...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil((p / 100) * xs.length) - 1)]);
const result = {
  entries: N,
  publishes: PUBLISHES,
  p50: pct(latencies, 50),
  p90: pct(latencies, 90),
  p99: pct(latencies, 99),
  max: Math.round(Math.max(...latencies)),
  fromPublishStartP50: pct(fromStart, 50),
  fromPublishStartP99: pct(fromStart, 99),
  bursts: BURSTS,
  burstsApplied: burstsOk,
  burstMaxDelay: burstDelays.length ? Math.max(...burstDelays) : null,
  burstP50Delay: burstDelays.length ? pct(burstDelays, 50) : null,
};
if (values.json) console.log(JSON.stringify(result));
else {
  console.log(
    `reaction, ${N} entries, ${PUBLISHES} publishes (every row changes), file replaced → rows committed: p50 ${result.p50} ms, p90 ${result.p90} ms, p99 ${result.p99} ms, max ${result.max} ms  (target p50 <= 50, p99 <= 250 ms)`,
  );
  console.log(
    `          from the start of the publish (serialising and fsync included): p50 ${result.fromPublishStartP50} ms, p99 ${result.fromPublishStartP99} ms`,
  );
  console.log(
    `bursts of 5 publishes 5 ms apart: last applied in ${burstsOk}/${BURSTS}, ${result.burstP50Delay} ms median / ${result.burstMaxDelay} ms max after the burst  (target ${BURSTS}/${BURSTS}, <= 500 ms)`,
  );
}
