#!/usr/bin/env node
// Freshness of the whole chain under live traffic: how soon a new node's multi-byte
// capability reaches the database, what the two processes cost while packets stream in,
// and that traffic which changes no status makes no publish and no apply.
//
//   node bench/freshness.mjs [--nodes 20000] [--packets 1000000] [--trials 50] [--rate 50]
//                            [--cpu-seconds 30] [--quiet-seconds 60] [--max-gap 2s]
//                            [--trial-timeout 60s] [--interval D] [--window all]
//                            [--server-arg=ARG]... [--ingestor-arg=ARG]... [--seed 1]
//                            [--keep] [--json]
//
// Real processes on a copy of a cached mesh database (bench/lib/mesh-db.mjs) in a scratch
// directory: `mbcap-ingestor run`, `mbcap-server run` (--port 0) and `mbcap-ingestor
// import -` fed on its stdin with --rate packets/s of ordinary 1-byte traffic of known
// nodes (bench/lib/traffic.mjs). After the first publish is applied and the traffic has
// run a few seconds:
//  1. CPU: --cpu-seconds of that traffic; each process's utime + stime from /proc (every
//     thread) as % of one core. Targets: server < 10 %, ingestor run < 5 %.
//  2. no change: --quiet-seconds more; snapshots published (the server's `published` log
//     events) and applied (the ingestor's `applied` events, and rows added to its ledger).
//     Target: 0 and 0.
//  3. freshness: --trials times, after a random pause of up to --max-gap, one 2-byte
//     ADVERT of a node no database holds goes into the same import stream. From the
//     commit of its packet (its node row appears) to the commit of `multibyte_sup = 2` for
//     its key: a read-only connection polls every 5 ms; the end is taken from the
//     ingestor's `applied` log line (its time is read right after the commit) when one
//     falls between the two, else from the poll. Targets: p50 <= 300 ms, p99 <= 1 s.
//
// The server gets `--window all` unless told otherwise (the whole window keeps packets from
// ageing out of it during the run, which would change statuses) and its own --interval, a
// fallback: it reacts to committed changes; anything else goes through --server-arg=ARG, e.g.
// --server-arg=--min-interval=1s. The processes are stopped on any way out (Ctrl-C
// included); one that exits early fails the run with its last stderr lines.
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import { createRng } from '@mbcap/meshgen';
import { createChildren } from './lib/children.mjs';
import { meshDb } from './lib/mesh-db.mjs';
import { measureCpu } from './lib/proc-cpu.mjs';
import { percentile, round } from './lib/stats.mjs';
import { newNodeAdvert, ordinaryTraffic } from './lib/traffic.mjs';

const usage = `usage: node bench/freshness.mjs [options]

  --nodes N             nodes in the database (default 20000)
  --packets N           packets in the database (default 1000000)
  --trials N            new-node adverts timed (default 50)
  --rate N              packets/s of ordinary 1-byte traffic (default 50)
  --cpu-seconds N       length of the CPU measurement (default 30)
  --quiet-seconds N     length of the no-change count (default 60)
  --max-gap D           longest random pause before a trial (default 2s)
  --trial-timeout D     a trial not applied by then counts as missed (default 60s)
  --interval D          the server's --interval (default: the server's own, 60s; run reacts to changes without it)
  --window W            the server's --window (default all)
  --server-arg=ARG      one more argument for mbcap-server run (repeatable)
  --ingestor-arg=ARG    one more argument for mbcap-ingestor run (repeatable)
  --seed N              seed of the traffic and of the trial moments (default 1)
  --keep                keep the scratch directory (its path is printed)
  --json                print the results as one JSON object`;

// Interpret options
let values;
try {
  ({ values } = parseArgs({
    options: {
      nodes: { type: 'string', default: '20000' },
      packets: { type: 'string', default: '1000000' },
      trials: { type: 'string', default: '50' },
      rate: { type: 'string', default: '50' },
      'cpu-seconds': { type: 'string', default: '30' },
      'quiet-seconds': { type: 'string', default: '60' },
      'max-gap': { type: 'string', default: '2s' },
      'trial-timeout': { type: 'string', default: '60s' },
      interval: { type: 'string', default: '' },
      window: { type: 'string', default: 'all' },
      'server-arg': { type: 'string', multiple: true, default: [] },
      'ingestor-arg': { type: 'string', multiple: true, default: [] },
      seed: { type: 'string', default: '1' },
      keep: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  }));
} catch (error) {
  console.error(`freshness: ${error.message}\n\n${usage}`);
  process.exit(2);
}
if (values.help) {
  console.log(usage);
  process.exit(0);
}
function count(name, min) {
  const n = Number(values[name]);
  if (!Number.isInteger(n) || n < min) {
    console.error(`freshness: expected --${name} to be a whole number of at least ${min}, got ${JSON.stringify(values[name])}`);
    process.exit(2);
  }
  return n;
}
function durationMs(name) {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)$/.exec(values[name]);
  if (!m) {
    console.error(`freshness: expected --${name} to be a duration such as 500ms, 2s or 1m, got ${JSON.stringify(values[name])}`);
    process.exit(2);
  }
  return Number(m[1]) * { ms: 1, s: 1000, m: 60_000 }[m[2]];
}
const nodes = count('nodes', 1);
const packets = count('packets', 1);
const trials = count('trials', 1);
const rate = count('rate', 1);
const cpuSecondsWanted = count('cpu-seconds', 1);
const quietSeconds = count('quiet-seconds', 1);
const seed = count('seed', 0);
const maxGapMs = durationMs('max-gap');
const trialTimeoutMs = durationMs('trial-timeout');
const POLL_MS = 5;
const TARGETS = { p50Ms: 300, p99Ms: 1000, serverCpu: 10, ingestorCpu: 5 };

const say = (text) => process.stderr.write(`freshness: ${text}\n`);
const serverBin = new URL('../apps/server/bin/mbcap-server.js', import.meta.url).pathname;
const ingestorBin = new URL('../apps/ingestor/bin/mbcap-ingestor.js', import.meta.url).pathname;

// The database: a copy of the cached one, the processes write beside it
const loadBefore = loadavg().map((x) => round(x, 2));
let started = performance.now();
const source = meshDb({ nodes, packets });
say(`database ${nodes} nodes, ${packets} packets ready in ${round((performance.now() - started) / 1000)} s`);
const dir = mkdtempSync(join(tmpdir(), 'mbcap-bench-fresh-'));
const db = join(dir, 'mesh.db');
copyFileSync(source, db);
say(`scratch directory ${dir}`);
const removeScratch = () => {
  if (values.keep) say(`scratch directory kept: ${dir}`);
  else rmSync(dir, { recursive: true, force: true });
};

const children = createChildren({ onSignal: removeScratch });
// What the run is measured with, besides the database, the port and the log format
const serverChosen = [
  ...(values.interval !== '' ? ['--interval', values.interval] : []),
  ...(values.window !== '' ? ['--window', values.window] : []),
  ...values['server-arg'],
];
const ingestorChosen = values['ingestor-arg'];
const serverArgs = ['run', '--db', db, '--port', '0', '--log-format', 'json', ...serverChosen];
const ingestorArgs = ['run', '--db', db, '--log-format', 'json', ...ingestorChosen];

let result;
let reader;
try {
  // Start: the ingestor, then the server; wait for the first publish to be applied
  started = Date.now();
  const ingestor = children.start('mbcap-ingestor run', ingestorBin, ingestorArgs);
  await children.until('the ingestor ready', () => ingestor.events.find((e) => e.event === 'ready'), 60_000);
  const server = children.start('mbcap-server run', serverBin, serverArgs);
  say(`mbcap-server run ${serverChosen.join(' ')}; mbcap-ingestor run ${ingestorChosen.join(' ')}`);
  const first = await children.until(
    'the first publish',
    () => {
      const failed = server.events.find((e) => e.event === 'publish-failed');
      if (failed) throw new Error(`the server's first publish failed: ${failed.msg}`);
      return server.events.find((e) => e.event === 'published');
    },
    600_000,
  );
  const firstApplied = await children.until(
    'the first publish applied',
    () => ingestor.events.find((e) => e.event === 'applied' && e.seq === first.seq),
    120_000,
  );
  const startup = {
    firstPublishS: round((Date.parse(first.time) - started) / 1000, 2),
    firstPublishMs: first.durationMs,
    appliedAfterMs: Date.parse(firstApplied.time) - Date.parse(first.time),
  };
  say(
    `first publish (seq ${first.seq}) ${startup.firstPublishS} s after start, ${round(first.durationMs)} ms long; applied ${startup.appliedAfterMs} ms after`,
  );

  // The importer, fed `rate` lines a second of ordinary traffic of known nodes
  reader = new Database(db, { readonly: true, fileMustExist: true });
  const keys = reader
    .prepare('SELECT public_key FROM nodes UNION ALL SELECT public_key FROM inactive_nodes')
    .pluck()
    .all()
    .filter((k) => /^[0-9a-f]{64}$/.test(k));
  // Not the mesh's own stream (mesh-db.mjs draws its keys from seed 1): the same draws would
  // give a trial a key the mesh already has
  const rng = createRng(seed * 7919 + 104_729);
  const nextLine = ordinaryTraffic(keys, rng);
  const importer = children.start('mbcap-ingestor import', ingestorBin, ['import', '--db', db, '-', '--log-format', 'json', '--json'], { stdin: 'pipe' });
  let written = 0;
  const pumpStart = performance.now();
  const pump = setInterval(() => {
    const due = Math.floor(((performance.now() - pumpStart) * rate) / 1000);
    let text = '';
    for (; written < due; written++) text += `${nextLine()}\n`;
    if (text) importer.child.stdin.write(text);
  }, 20);
  const rows = () => reader.prepare('SELECT (SELECT count(*) FROM transmissions) AS packets, (SELECT count(*) FROM mbcap_ledger) AS ledger').get();
  const before = rows();
  await children.pause(3000);
  if (rows().packets <= before.packets) throw new Error('the importer committed nothing in 3 s of traffic');

  // Events of a process between two instants (ms)
  const between = (proc, event, from, to) => proc.events.filter((e) => e.event === event && Date.parse(e.time) >= from && Date.parse(e.time) < to);

  // 1. CPU during the steady import
  say(`CPU: ${cpuSecondsWanted} s of ${rate} packets/s…`);
  const cpuFrom = Date.now();
  const meters = { server: measureCpu(server.pid), ingestor: measureCpu(ingestor.pid), importer: measureCpu(importer.pid) };
  await children.pause(cpuSecondsWanted * 1000);
  const cpu = Object.fromEntries(Object.entries(meters).map(([name, meter]) => [name, meter.stop()]));
  cpu.publishes = between(server, 'published', cpuFrom, Date.now()).length;
  cpu.applies = between(ingestor, 'applied', cpuFrom, Date.now()).length;

  // The server's count of cycles that wrote nothing (mbcap_cycles_unchanged_total), or null
  const listening = server.events.find((e) => e.event === 'listening');
  async function unchangedCycles() {
    try {
      const text = await (await fetch(`http://${listening?.host}:${listening?.port}/metrics`)).text();
      const m = /^mbcap_cycles_unchanged_total (\d+)/m.exec(text);
      return m ? Number(m[1]) : null;
    } catch {
      return null;
    }
  }

  // 2. No change: traffic that changes no status, counted
  say(`no change: ${quietSeconds} s of ${rate} packets/s…`);
  const quietFrom = Date.now();
  const quietBefore = rows();
  const cyclesBefore = await unchangedCycles();
  await children.pause(quietSeconds * 1000);
  const quietTo = Date.now();
  const quietAfter = rows();
  const cyclesAfter = await unchangedCycles();
  const quiet = {
    seconds: round((quietTo - quietFrom) / 1000),
    packets: quietAfter.packets - quietBefore.packets,
    published: between(server, 'published', quietFrom, quietTo).length,
    publishFailed: between(server, 'publish-failed', quietFrom, quietTo).length,
    applied: between(ingestor, 'applied', quietFrom, quietTo).length,
    ledgerRows: quietAfter.ledger - quietBefore.ledger,
    // Cycles that found the snapshot current (null when the server does not count them)
    unchangedCycles: cyclesBefore === null || cyclesAfter === null ? null : cyclesAfter - cyclesBefore,
  };

  // 3. Freshness: a new node's 2-byte advert, from its commit to multibyte_sup = 2 committed
  say(`${trials} trials: a new node's 2-byte advert, until its multibyte_sup = 2 is committed…`);
  const lookup = reader.prepare('SELECT multibyte_sup FROM nodes WHERE public_key = ?').pluck();
  const latencies = [];
  const fromWrite = [];
  // Time between the last poll without the node row and the first with it: how exactly the start is known
  const startGaps = [];
  let fromLog = 0;
  let missed = 0;
  for (let t = 1; t <= trials; t++) {
    await children.pause(rng.next() * maxGapMs);
    const { key, line } = newNodeAdvert(rng, `fresh ${t}`);
    if (lookup.get(key) !== undefined) throw new Error(`trial ${t}: key ${key} is already in the database`);
    const writtenAt = Date.now();
    importer.child.stdin.write(`${line}\n`);
    let committedAt = null;
    let seenAt = null;
    let lastBefore = writtenAt;
    let polledBefore = writtenAt;
    const deadline = writtenAt + trialTimeoutMs;
    while (seenAt === null && Date.now() < deadline) {
      await children.pause(POLL_MS);
      const now = Date.now();
      const sup = lookup.get(key);
      if (sup !== undefined && committedAt === null) {
        committedAt = now;
        startGaps.push(now - polledBefore);
      }
      polledBefore = now;
      if (sup === 2) seenAt = now;
      else lastBefore = now;
    }
    if (seenAt === null) {
      missed++;
      say(`trial ${t}: ${committedAt === null ? 'the advert was not committed' : 'multibyte_sup = 2 not committed'} within ${trialTimeoutMs / 1000} s`);
      continue;
    }
    // The apply's own log line, when it lies between the last poll without and the first with
    await children.pause(100);
    const line2 = ingestor.events.find((e) => {
      if (e.event !== 'applied' || e.updatedActive + e.updatedInactive < 1) return false;
      const at = Date.parse(e.time);
      return at >= lastBefore - 1 && at <= seenAt + 1;
    });
    const end = line2 ? Date.parse(line2.time) : seenAt;
    if (line2) fromLog++;
    latencies.push(Math.max(0, end - committedAt));
    fromWrite.push(end - writtenAt);
    if (t % 10 === 0 || t === trials) say(`  ${t}/${trials}, last ${end - committedAt} ms`);
  }
  clearInterval(pump);

  // Stop: the importer at the end of its input, then the two processes
  const imported = await children.stop(importer, { closeStdin: true });
  const summary = JSON.parse(importer.stdout.trim().split('\n').at(-1) || '{}');
  if (imported.code !== 0) throw new Error(`the importer ended with exit code ${imported.code}: ${importer.tail.join('\n')}`);
  await children.stopAll();

  const pct = (p) => (latencies.length ? Math.round(percentile(latencies, p)) : null);
  const freshness = {
    trials,
    applied: latencies.length,
    missed,
    p50Ms: pct(50),
    p99Ms: pct(99),
    maxMs: latencies.length ? Math.round(Math.max(...latencies)) : null,
    fromWriteP50Ms: fromWrite.length ? Math.round(percentile(fromWrite, 50)) : null,
    startPollGapP50Ms: startGaps.length ? percentile(startGaps, 50) : null,
    startPollGapMaxMs: startGaps.length ? Math.max(...startGaps) : null,
    endFromLog: fromLog,
    pollMs: POLL_MS,
  };
  freshness.met = missed === 0 && freshness.p50Ms <= TARGETS.p50Ms && freshness.p99Ms <= TARGETS.p99Ms;
  cpu.met = cpu.server.percent < TARGETS.serverCpu && cpu.ingestor.percent < TARGETS.ingestorCpu;
  quiet.met = quiet.published === 0 && quiet.applied === 0 && quiet.ledgerRows === 0;
  result = {
    nodes,
    packets,
    rate,
    seed,
    serverArgs: serverChosen,
    ingestorArgs: ingestorChosen,
    startup,
    freshness,
    cpu,
    quiet,
    imported: { stored: summary.stored, bad: summary.bad, duplicates: summary.duplicates, nodesCreated: summary.nodesCreated },
    loadBefore,
    loadAfter: loadavg().map((x) => round(x, 2)),
  };
} catch (error) {
  await children.stopAll();
  reader?.close();
  removeScratch();
  console.error(`freshness: ${error.message}`);
  process.exit(1);
}
reader.close();
removeScratch();

// Report
if (values.json) console.log(JSON.stringify(result));
else {
  const { freshness: f, cpu: c, quiet: q, startup } = result;
  const met = (ok) => (ok ? 'met' : 'NOT MET');
  const lines = [
    `freshness, ${nodes} nodes, ${packets} packets, ${rate} packets/s of 1-byte traffic; mbcap-server run ${result.serverArgs.join(' ')}${result.ingestorArgs.length ? `; mbcap-ingestor run ${result.ingestorArgs.join(' ')}` : ''}`,
    `  new node's advert committed → multibyte_sup = 2 committed: p50 ${f.p50Ms} ms, p99 ${f.p99Ms} ms, max ${f.maxMs} ms, ${f.applied}/${f.trials} trials${f.missed ? ` (${f.missed} not applied within ${trialTimeoutMs / 1000} s)` : ''}`,
    `      target p50 <= ${TARGETS.p50Ms} ms, p99 <= ${TARGETS.p99Ms} ms: ${met(f.met)}`,
    `      start: first poll finding the node row, ${f.startPollGapP50Ms} ms after the poll before (max ${f.startPollGapMaxMs}); end: the ingestor's log in ${f.endFromLog}/${f.applied}, else the poll; from the line written to the importer: p50 ${f.fromWriteP50Ms} ms`,
    `  CPU over ${c.server.wallSeconds} s of steady import, % of one core: server ${c.server.percent} %, ingestor run ${c.ingestor.percent} % (importer ${c.importer.percent} %; ${c.publishes} publishes, ${c.applies} applies meanwhile)`,
    `      target server < ${TARGETS.serverCpu} %, ingestor < ${TARGETS.ingestorCpu} %: ${met(c.met)}`,
    `  no change, ${q.seconds} s, ${q.packets} packets imported: ${q.published} snapshots published, ${q.applied} applied (${q.ledgerRows} ledger rows${q.publishFailed ? `, ${q.publishFailed} publishes failed` : ''}${q.unchangedCycles === null ? '' : `; ${q.unchangedCycles} server cycles found nothing changed`})`,
    `      target 0 and 0: ${met(q.met)}`,
    `  first publish ${startup.firstPublishS} s after start (${Math.round(startup.firstPublishMs)} ms long), applied ${startup.appliedAfterMs} ms after; the importer stored ${result.imported.stored} packets (${result.imported.bad} bad lines, ${result.imported.duplicates} duplicates)`,
    `  load average ${result.loadBefore.join(' ')} before, ${result.loadAfter.join(' ')} after, ${cpus().length} cores: other work skews every figure`,
  ];
  console.log(lines.join('\n'));
}
