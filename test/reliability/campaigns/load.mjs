// Load: an HTTP load generator (keep-alive, a few connections, loopback) against
// `mbcap-server run` (/api/nodes, /healthz) while a publisher writes a snapshot of every
// node of the 200k database each second and `mbcap-ingestor run` applies them.
// Pass: no failed request, no SQLITE_BUSY anywhere (answers and both logs), both stop
// cleanly, and in the end the last snapshot is applied (its rows, or a higher value a row
// kept: a stored value only rises; and integrity_check).
import { join } from 'node:path';
import { readSnapshot } from '@mbcap/snapshot';
import { integrityCheck, readLedger, readModel } from '../lib/meshdb.mjs';
import { risen } from '../lib/snapshots.mjs';
import { eventually, fixture, ingestorBin, run, start, startServer } from '../lib/proc.mjs';

const FAR_AWAY = '0 0 1 1 *';

export async function runCampaign({ rng, quick, work, check, log, shared }) {
  const nodes = quick ? 20_000 : 200_000;
  const seconds = quick ? 3 : 30;
  const db = join(work, 'mesh.db');
  const { keyIndex } = await shared.meshDb(nodes, db);

  const ingestor = start(ingestorBin, ['run', '--db', db, '--cron', FAR_AWAY]);
  check((await ingestor.waitFor(/info {2}watching /, 20_000)) !== null, `ingestor did not start: ${ingestor.log()}`);
  const { proc: server, port } = await startServer(db, ['--interval', '10m']);
  const publisher = start(fixture('publisher.mjs'), ['--db', db, '--mesh', '--seed', String(rng.int(1e9)), '--interval-ms', '1000', '--quiet']);
  await publisher.waitFor(/ready/, 20_000);
  const load = await run(fixture('loadgen.mjs'), ['--port', String(port), '--seconds', String(seconds), '--connections', '4', '--seed', String(rng.int(1e9))], {
    timeoutMs: (seconds + 30) * 1000,
  });

  // Stop the publisher and the server; the ingestor catches up with the last file
  const published = await publisher.kill('SIGTERM');
  const pub = JSON.parse(published.stdout.trim().split('\n').at(-1) || '{}');
  const serverExit = await server.kill('SIGTERM');
  check(serverExit.code === 0, `server exit ${serverExit.code}/${serverExit.signal} after SIGTERM: ${serverExit.stderr.slice(-400)}`);
  const last = await readSnapshot(db);
  const caughtUp = await eventually(() => readLedger(db).at(-1)?.content_hash === last.contentHash, 30_000, 100);
  check(caughtUp, `the ingestor did not apply the last snapshot (seq ${last.snapshot.seq}) within 30 s: ${ingestor.log().slice(-600)}`);
  const ingestorExit = await ingestor.kill('SIGTERM');
  check(ingestorExit.code === 0, `ingestor exit ${ingestorExit.code}/${ingestorExit.signal} after SIGTERM`);

  // The figures
  const figures = JSON.parse(load.stdout || '{}');
  check(load.code === 0 && figures.requests > 0, `load generator exit ${load.code}: ${load.stderr.slice(0, 300)}`);
  check(figures.errors === 0, `${figures.errors} failed requests of ${figures.requests}: ${figures.errorSamples?.join(' | ')}`);
  check(figures.busy === 0, `${figures.busy} answers mention SQLITE_BUSY`);
  for (const [who, text] of [
    ['server', serverExit.log],
    ['ingestor', ingestorExit.log],
  ]) {
    const bad = /[^\n]*(SQLITE_BUSY|database is locked|publish failed| error )[^\n]*/.exec(text);
    check(bad === null, `${who} log: ${bad?.[0]}`);
  }
  check(
    pub.errors === 0 && pub.written >= Math.floor(seconds * 0.8),
    `publisher: ${pub.written} written, ${pub.errors} errors: ${published.stderr.slice(0, 300)}`,
  );

  // The last snapshot is in the database, whole
  const integrity = integrityCheck(db);
  check(integrity === 'ok', `integrity_check: ${integrity}`);
  const { model } = readModel(db, keyIndex, nodes);
  let wrong = 0;
  for (const e of last.snapshot.entries) {
    if (e.status === 'unknown') continue;
    // The row holds the entry's value, or kept a higher one: applying it again changes nothing
    const state = model[keyIndex.get(e.public_key)];
    if (risen(state, e.status, e.evidence) !== state) wrong++;
  }
  check(wrong === 0, `${wrong} rows do not hold the last applied snapshot`);
  const ledger = readLedger(db);
  const applies = ledger.length;
  const applyMs = ledger.map((r) => r.duration_ms).sort((a, b) => a - b);
  const applyP50 = Math.round(applyMs[Math.floor(applyMs.length / 2)] ?? 0);
  log(JSON.stringify({ load: figures, publisher: pub, applies, applyP50 }));

  const l = figures.latency ?? {};
  const n = figures.byRoute?.['/api/nodes'] ?? {};
  const h = figures.byRoute?.['/healthz'] ?? {};
  return {
    runs: figures.requests ?? 0,
    figures: {
      requests: figures.requests,
      errors: figures.errors,
      busy: figures.busy,
      rps: figures.rps,
      latency: l,
      byRoute: figures.byRoute,
      publishes: pub.written,
      applies,
      applyP50,
      nodes,
      seconds,
    },
    line: `${figures.requests} requests in ${seconds} s (${figures.rps}/s, 4 keep-alive connections), ${figures.errors} errors, ${figures.busy} SQLITE_BUSY; latency p50 ${l.p50} ms, p99 ${l.p99} ms (/api/nodes p50 ${n.p50}/p99 ${n.p99}, /healthz p50 ${h.p50}/p99 ${h.p99}); ${pub.written} publishes of ${nodes / 1000}k entries, ${applies} applied (p50 ${applyP50} ms), the last one whole`,
  };
}
