#!/usr/bin/env node
// Publish duration of `mbcap-server run` under HTTP load, against the same server's
// unloaded publishes, in one run:
//
//   node bench/http-load.mjs [--nodes 200000] [--packets 200000] [--clients 1000]
//                            [--half-open 3000] [--rounds 3] [--publishes 2] [--nofile 1024]
//                            [--max-connections N] [--json]
//
// One server (interval 1 s, window all) over a cached synthetic database, under an
// open-file limit of --nofile (soft and hard; 0 keeps the shell's). --rounds times, in
// turn (so both sides see the same background load on a shared machine):
//  - unloaded: --publishes publishes, nothing else;
//  - loaded: --clients keep-alive clients hammering /api/nodes from a separate process
//    (test/fixtures/http-swarm.mjs), --publishes publishes started after they connected.
// Then once, half-open: --half-open connections that connect and never send a byte (each
// one the server closes is replaced 250 ms later), --rounds × --publishes publishes started
// after they connected.
// Durations are the server's own durationMs (cycle start to snapshot durable, or to the
// finding that the snapshot on disk is current: the server publishes only on change, and
// over a database nobody writes every cycle after the first is such a one). Cycles are
// taken from the log and from a /healthz poll every 100 ms (unchanged cycles are logged
// once). Also shown:
// how long after the file was durable the main thread logged the publish (it receives the
// outcome from the publish thread), what the clients got, and the machine's load average
// before and after (other work on the machine skews every ratio). Target: loaded publishes
// within 2x the unloaded median, and no publish failing in any phase.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { meshDb } from './lib/mesh-db.mjs';
import { median, round } from './lib/stats.mjs';

const { values } = parseArgs({
  options: {
    nodes: { type: 'string', default: '200000' },
    packets: { type: 'string', default: '200000' },
    clients: { type: 'string', default: '1000' },
    'half-open': { type: 'string', default: '3000' },
    rounds: { type: 'string', default: '3' },
    publishes: { type: 'string', default: '2' },
    nofile: { type: 'string', default: '1024' },
    'max-connections': { type: 'string' },
    json: { type: 'boolean', default: false },
  },
});
const nodes = Number(values.nodes);
const packets = Number(values.packets);
const publishes = Number(values.publishes);
const rounds = Number(values.rounds);
const nofile = Number(values.nofile);
const say = (text) => process.stderr.write(`http-load: ${text}\n`);

const loadBefore = loadavg()[0];
const built = performance.now();
const source = meshDb({ nodes, packets });
say(`database ${nodes} nodes, ${packets} packets ready in ${round((performance.now() - built) / 1000)} s`);
// The snapshot goes next to a link of the cached database, so the cache stays clean
const dir = mkdtempSync(join(tmpdir(), 'mbcap-bench-http-'));
const db = join(dir, 'mesh.db');
symlinkSync(source, db);
const serverBin = new URL('../apps/server/bin/mbcap-server.js', import.meta.url).pathname;
const swarmScript = new URL('../test/fixtures/http-swarm.mjs', import.meta.url).pathname;

// The server, its JSON log lines parsed as they come
const serverArgs = [serverBin, 'run', '--db', db, '--port', '0', '--interval', '1s', '--window', 'all', '--log-format', 'json'];
if (values['max-connections']) serverArgs.push('--max-connections', values['max-connections']);
const server =
  nofile > 0
    ? spawn('/bin/sh', ['-c', `ulimit -n ${nofile} && exec "$@"`, 'sh', process.execPath, ...serverArgs], { stdio: ['ignore', 'ignore', 'pipe'] })
    : spawn(process.execPath, serverArgs, { stdio: ['ignore', 'ignore', 'pipe'] });
const events = [];
let pending = '';
server.stderr.on('data', (chunk) => {
  pending += chunk;
  for (let nl = pending.indexOf('\n'); nl !== -1; nl = pending.indexOf('\n')) {
    const line = pending.slice(0, nl);
    pending = pending.slice(nl + 1);
    try {
      events.push(JSON.parse(line));
    } catch {
      events.push({ event: 'text', msg: line });
    }
  }
});
const serverExited = new Promise((resolve) => server.on('close', resolve));

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
async function until(what, check, ms) {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = check();
    if (value) return value;
    if (Date.now() > deadline || server.exitCode !== null)
      throw new Error(`${what}: not within ${ms / 1000} s; server log:\n${events.map((e) => e.msg).join('\n')}`);
    await sleep(50);
  }
}

// Every cycle the log or the /healthz poll saw, once, by its start time
const polled = [];
const cycles = () => {
  const logged = events.filter((e) => e.event === 'published' || e.event === 'publish-failed');
  const seen = new Set(logged.map((e) => e.at));
  return [...logged, ...polled.filter((e) => !seen.has(e.at))].sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
};
let polling = true;
async function pollHealth(port) {
  while (polling && server.exitCode === null) {
    try {
      const last = (await (await fetch(`http://127.0.0.1:${port}/healthz`)).json()).lastPublish;
      if (last && !polled.some((e) => e.at === last.at))
        polled.push({
          event: last.error === null ? 'published' : 'publish-failed',
          at: last.at,
          durationMs: last.durationMs,
          error: last.error,
          time: new Date().toISOString(),
        });
    } catch {
      // refused at the cap, or the server is stopping: the next poll tries again
    }
    await sleep(100);
  }
}

/** The next `n` publish cycles that started at or after `since` (ms). */
async function collect(n, since) {
  const mine = () => cycles().filter((e) => Date.parse(e.at) >= since);
  await until(`${n} publishes`, () => mine().length >= n, n * 60_000);
  return mine()
    .slice(0, n)
    .map((e) => ({
      ok: e.event === 'published',
      ms: e.durationMs,
      // From the file being durable to the main thread logging it
      deliveredMs: Date.parse(e.time) - (Date.parse(e.at) + e.durationMs),
      error: e.error ?? null,
    }));
}

function startSwarm(args) {
  const child = spawn(process.execPath, [swarmScript, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = [];
  let out = '';
  child.stdout.on('data', (chunk) => {
    out += chunk;
    for (let nl = out.indexOf('\n'); nl !== -1; nl = out.indexOf('\n')) {
      lines.push(JSON.parse(out.slice(0, nl)));
      out = out.slice(nl + 1);
    }
  });
  const exited = new Promise((resolve) => child.on('close', resolve));
  return {
    lines,
    ready: () => until('the load generator connected', () => lines.find((l) => l.event === 'ready'), 120_000),
    async stop() {
      child.kill('SIGTERM');
      await exited;
      return lines.find((l) => l.event === 'done');
    },
  };
}

const summary = (runs) => {
  const ok = runs.filter((r) => r.ok).map((r) => r.ms);
  return {
    n: runs.length,
    failed: runs.filter((r) => !r.ok).length,
    medianMs: ok.length ? round(median(ok)) : null,
    maxMs: ok.length ? round(Math.max(...ok)) : null,
    deliveredMedianMs: round(median(runs.map((r) => r.deliveredMs))),
    errors: runs
      .filter((r) => !r.ok)
      .map((r) => r.error)
      .slice(0, 3),
  };
};

let result;
try {
  const listening = await until('the server listening', () => events.find((e) => e.event === 'listening'), 60_000);
  const cap = events.find((e) => e.event === 'connection-cap' && e.maxConnections !== undefined);
  const port = listening.port;
  say(`server on port ${port}; ${cap?.msg ?? ''}`);
  const poller = pollHealth(port);

  // Warm-up: the first cycle starts the thread and compiles the code
  await until('the first publish', () => cycles().length >= 1, 120_000);

  const unloadedRuns = [];
  const loadedRuns = [];
  const clientRounds = [];
  for (let round = 1; round <= rounds; round++) {
    say(`round ${round}/${rounds}: ${publishes} publishes without load`);
    unloadedRuns.push(...(await collect(publishes, Date.now())));
    say(`round ${round}/${rounds}: ${publishes} publishes under ${values.clients} keep-alive clients on /api/nodes`);
    const loadSwarm = startSwarm(['--port', String(port), '--clients', values.clients, '--seconds', '600', '--offset-max', String(Math.min(50_000, nodes))]);
    await loadSwarm.ready();
    loadedRuns.push(...(await collect(publishes, Date.now())));
    clientRounds.push(await loadSwarm.stop());
  }
  const unloaded = summary(unloadedRuns);
  const loaded = summary(loadedRuns);
  const sum = (key) => clientRounds.reduce((n, f) => n + (f?.[key] ?? 0), 0);
  const dropped = {};
  for (const f of clientRounds) for (const [k, v] of Object.entries(f?.dropped ?? {})) dropped[k] = (dropped[k] ?? 0) + v;
  const loadFigures = {
    answered: sum('answered'),
    rps: Math.round(sum('rps') / rounds),
    latencyMs: clientRounds.map((f) => f?.latencyMs ?? null),
    dropped,
    reconnects: sum('reconnects'),
  };

  say(`half-open: ${rounds * publishes} publishes under ${values['half-open']} connections that send nothing`);
  const silentSwarm = startSwarm([
    '--port',
    String(port),
    '--clients',
    '0',
    '--half-open',
    values['half-open'],
    '--reopen',
    '--reconnect-ms',
    '250',
    '--seconds',
    '600',
  ]);
  await silentSwarm.ready();
  const halfOpen = summary(await collect(rounds * publishes, Date.now()));
  const silentFigures = await silentSwarm.stop();

  // The server answers afterwards, and stops cleanly
  polling = false;
  await poller;
  await sleep(200);
  const health = await fetch(`http://127.0.0.1:${port}/healthz`).then(
    async (r) => ({ status: r.status, body: await r.json() }),
    (e) => ({ status: null, error: e.message }),
  );
  server.kill('SIGTERM');
  const exitCode = await serverExited;

  const ratio = (s) => (s.medianMs === null ? null : round(s.medianMs / unloaded.medianMs, 2));
  const worst = (s) => (s.maxMs === null ? null : round(s.maxMs / unloaded.medianMs, 2));
  result = {
    what: 'http-load',
    nodes,
    packets,
    machine: { cpus: cpus().length, node: process.version, loadavg1Before: round(loadBefore, 2), loadavg1After: round(loadavg()[0], 2) },
    nofile: nofile || null,
    maxConnections: cap?.maxConnections ?? null,
    unloaded,
    loaded: {
      ...loaded,
      ratio: ratio(loaded),
      worstRatio: worst(loaded),
      clients: Number(values.clients),
      answered: loadFigures?.answered,
      rps: loadFigures?.rps,
      latencyMs: loadFigures?.latencyMs,
      dropped: loadFigures?.dropped,
      reconnects: loadFigures?.reconnects,
    },
    halfOpen: { ...halfOpen, ratio: ratio(halfOpen), worstRatio: worst(halfOpen), connections: Number(values['half-open']), figures: silentFigures?.halfOpen },
    healthAfter: health.status,
    refusedConnections: health.body?.http?.refusedConnections ?? null,
    failuresTotal: health.body?.failures ?? null,
    serverExit: exitCode,
  };
} catch (error) {
  server.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
  throw error;
}
rmSync(dir, { recursive: true, force: true });

const r = result;
const target = (x) => (x !== null && x <= 2 ? 'ok' : 'MISSED');
if (values.json) console.log(JSON.stringify(r));
else {
  console.log(
    `http-load: ${nodes} nodes, ${packets} packets; ${r.machine.cpus} CPUs, node ${r.machine.node}, load average ${r.machine.loadavg1Before} before, ${r.machine.loadavg1After} after; server open-file limit ${r.nofile ?? 'inherited'}, at most ${r.maxConnections} connections`,
  );
  console.log(`  unloaded publish:  median ${r.unloaded.medianMs} ms, max ${r.unloaded.maxMs} ms (${r.unloaded.n} publishes, ${r.unloaded.failed} failed)`);
  console.log(
    `  ${r.loaded.clients} keep-alive clients: median ${r.loaded.medianMs} ms, max ${r.loaded.maxMs} ms (${r.loaded.n} publishes, ${r.loaded.failed} failed); ratio ${r.loaded.ratio} (worst ${r.loaded.worstRatio}; target <= 2: ${target(r.loaded.worstRatio)})`,
  );
  console.log(
    `      clients: ${r.loaded.answered} answers, ${r.loaded.rps}/s, latency p50 / p99 by round ${r.loaded.latencyMs.map((l) => `${l?.p50} / ${l?.p99}`).join(', ')} ms; connections dropped ${JSON.stringify(r.loaded.dropped)}, reconnects ${r.loaded.reconnects}`,
  );
  console.log(
    `  ${r.halfOpen.connections} half-open:     median ${r.halfOpen.medianMs} ms, max ${r.halfOpen.maxMs} ms (${r.halfOpen.n} publishes, ${r.halfOpen.failed} failed); ratio ${r.halfOpen.ratio} (worst ${r.halfOpen.worstRatio}; no timing target, none may fail)`,
  );
  console.log(`      silent connections: ${JSON.stringify(r.halfOpen.figures)}`);
  console.log(
    `  main thread logged (or a /healthz poll saw) each cycle a median ${r.unloaded.deliveredMedianMs} / ${r.loaded.deliveredMedianMs} / ${r.halfOpen.deliveredMedianMs} ms after the file was durable (unloaded / loaded / half-open)`,
  );
  console.log(
    `  afterwards: /healthz ${r.healthAfter}, ${r.failuresTotal} failed publishes in all, ${r.refusedConnections} connections refused at the cap; exit code ${r.serverExit}`,
  );
  for (const phase of [r.unloaded, r.loaded, r.halfOpen]) for (const error of phase.errors) console.log(`  failed: ${error}`);
}
const ok = r.unloaded.failed + r.loaded.failed + r.halfOpen.failed === 0 && r.healthAfter === 200;
process.exitCode = ok ? 0 : 1;
