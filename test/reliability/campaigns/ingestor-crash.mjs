// Ingestor crash: SIGKILL `mbcap-ingestor run` while it applies a snapshot of every node of
// a 200k-node database (half in inactive_nodes), again and again. Half the kills fall at
// a random instant after start, half are aimed at the apply transaction (a probe sees the
// write lock taken, then a random part of an apply's duration). Now and then a SIGTERM
// instead, which must finish the apply in flight and exit 0.
//
// After every kill: integrity_check ok; the rows are either all of the snapshot's changes
// with its ledger row, or none of them and no ledger row. After each series of kills a
// restart applies the latest snapshot, exactly once, and its ledger row counts the rows
// that changed.
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { writeSnapshot } from '@mbcap/snapshot';
import { diffModels, integrityCheck, readLedger, readModel, readStates } from '../lib/meshdb.mjs';
import { randomSnapshot, changedRows } from '../lib/snapshots.mjs';
import { ingestorBin, sleep, start } from '../lib/proc.mjs';

const FAR_AWAY = '0 0 1 1 *';
const walSize = (db) => (existsSync(`${db}-wal`) ? statSync(`${db}-wal`).size : 0);
const equal = (a, b) => Buffer.compare(a, b) === 0;

export async function runCampaign({ rng, quick, work, check, log, shared }) {
  const nodes = quick ? 20_000 : 200_000;
  const targetKills = quick ? 10 : 100;
  const db = join(work, 'mesh.db');
  const { keys, keyIndex, model } = await shared.meshDb(nodes, db);
  const startRun = () => start(ingestorBin, ['run', '--db', db, '--cron', FAR_AWAY, '--poll', '0']);

  let current = model;
  check(equal(readStates(db, nodes) ?? new Uint8Array(0), current), 'the copied database does not hold the initial model');
  const counts = { kills: 0, sigterms: 0, applied: 0, untouched: 0, rolledBack: 0, aimed: 0, afterCommit: 0, snapshots: 0, restarts: 0, integrityOk: 0 };
  const applyMs = [];
  let windowMs = quick ? 300 : 1200;

  /** After a crash or a stop: integrity, then all or nothing against the snapshot and the ledger. */
  function verify(label, snapshot, before, after, walBefore, walAfter) {
    const integrity = integrityCheck(db);
    if (check(integrity === 'ok', `${label}: integrity_check: ${integrity}`)) counts.integrityOk++;
    const states = readStates(db, nodes);
    if (!check(states !== null, `${label}: rows were added or removed`)) return 'broken';
    const ledger = readLedger(db).filter((row) => row.content_hash === snapshot.contentHash);
    check(ledger.length <= 1, `${label}: ${ledger.length} ledger rows for one snapshot`);
    if (equal(states, after) && ledger.length === 1) return 'applied';
    if (equal(states, before) && ledger.length === 0) return walAfter > walBefore ? 'rolled-back' : 'untouched';
    const fromBefore = diffModels(states, before);
    const fromAfter = diffModels(states, after);
    check(false, `${label}: neither all nor nothing: ${fromBefore.count} rows differ from before, ${fromAfter.count} from after, ledger rows ${ledger.length}`);
    return 'broken';
  }

  /** Probes the write lock: true while another connection holds a write transaction. */
  const probe = new Database(db, { timeout: 0 });
  const begin = probe.prepare('BEGIN IMMEDIATE');
  const rollback = probe.prepare('ROLLBACK');
  const writeLocked = () => {
    try {
      begin.run();
      rollback.run();
      return false;
    } catch (error) {
      if (error.code === 'SQLITE_BUSY') return true;
      throw error;
    }
  };

  let snapshot = null;
  let before = null;
  let after = null;
  const newSnapshot = async () => {
    before = current;
    const next = randomSnapshot(rng, keys, current);
    after = next.after;
    const written = await writeSnapshot(db, { entries: next.entries });
    snapshot = { ...written, entries: next.entries.length, unknown: next.entries.filter((e) => e.status === 'unknown').length };
    counts.snapshots++;
  };

  /**
   * A restart left alone until it has applied the latest snapshot, then stopped (SIGTERM,
   * or SIGKILL right after the commit): it must all be there, and the ledger row must
   * count the rows that changed.
   */
  async function applyFully(label, signal) {
    counts.restarts++;
    const proc = startRun();
    const ready = await proc.waitFor(/info {2}watching /, 20_000);
    const readyAt = Date.now();
    const ok = await proc.waitFor(new RegExp(`(applied snapshot seq ${snapshot.seq} |snapshot seq ${snapshot.seq} unchanged)`), 60_000);
    const tookMs = Date.now() - readyAt;
    check(ready !== null && ok !== null, `${label}: the latest snapshot was not applied: ${proc.log().slice(-800)}`);
    const m = /applied snapshot .* in ([\d.]+) (ms|s)/.exec(proc.log());
    if (m) {
      applyMs.push(Number(m[1]) * (m[2] === 's' ? 1000 : 1));
      windowMs = Math.max(50, Math.round(tookMs * 1.1));
    }
    const stopped = await proc.kill(signal);
    if (signal === 'SIGTERM') check(stopped.code === 0, `${label}: exit ${stopped.code}/${stopped.signal} after SIGTERM`);
    const final = verify(label, snapshot, before, after, 0, 0);
    check(final === 'applied', `${label}: the latest snapshot is not in the database (${final})`);
    const row = readLedger(db).find((r) => r.content_hash === snapshot.contentHash);
    const changed = changedRows(before, after);
    if (row) {
      check(
        row.updated_active === changed.active && row.updated_inactive === changed.inactive,
        `ledger of seq ${snapshot.seq}: ${row.updated_active}+${row.updated_inactive} rows updated, the rows say ${changed.active}+${changed.inactive}`,
      );
      check(
        row.entries_read === snapshot.entries && row.skipped === snapshot.unknown && row.seq === snapshot.seq,
        `ledger of seq ${snapshot.seq}: read ${row.entries_read}, skipped ${row.skipped}, seq ${row.seq}`,
      );
    }
    current = after;
  }

  // Calibrate: how long from start to the apply's commit, undisturbed
  await newSnapshot();
  await applyFully('first apply', 'SIGTERM');

  let seriesLeft = 0;
  while (counts.kills < targetKills) {
    // A new snapshot: about half the rows change
    if (seriesLeft === 0) {
      await newSnapshot();
      seriesLeft = rng.between(2, 4);
    }
    seriesLeft--;

    // Start, wait, kill
    const walBefore = walSize(db);
    const proc = startRun();
    const ready = await proc.waitFor(/info {2}watching /, 20_000);
    check(ready !== null, `run did not start: ${proc.log()}`);
    const aimed = rng.chance(quick ? 0.8 : 0.6);
    const sigterm = rng.chance(0.1);
    let lockSeen = false;
    if (aimed) {
      // Wait for the apply's write transaction, then kill somewhere inside it
      counts.aimed++;
      const deadline = Date.now() + 10_000;
      while (!(lockSeen = writeLocked()) && proc.alive() && Date.now() < deadline && !/applied snapshot|unchanged/.test(proc.log())) await sleep(1);
      await sleep(rng.int(Math.max(5, Math.round((applyMs.at(-1) ?? 50) * 0.7))));
    } else {
      await sleep(rng.int(windowMs));
    }
    const label = `kill ${counts.kills} (${sigterm ? 'SIGTERM' : 'SIGKILL'}, ${aimed ? 'aimed' : 'random'}, snapshot seq ${snapshot.seq})`;
    let exit;
    if (sigterm) {
      counts.sigterms++;
      proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), 20_000);
      exit = await proc.exited;
      clearTimeout(timer);
      check(exit.code === 0, `${label}: exit ${exit.code}/${exit.signal} after SIGTERM: ${exit.log.slice(-800)}`);
    } else {
      exit = await proc.kill('SIGKILL');
    }
    counts.kills++;
    check(!/ error |Error:|\n\s+at /.test(exit.stderr), `${label}: an error in the log: ${exit.stderr.slice(-800)}`);
    const outcome = verify(label, snapshot, before, after, walBefore, walSize(db));
    if (outcome === 'applied') {
      counts.applied++;
      current = after;
    } else if (outcome === 'broken') break;
    else if (lockSeen || outcome === 'rolled-back') counts.rolledBack++;
    else counts.untouched++;

    // After the series: a restart applies the latest snapshot, exactly once; it is killed
    // (or stopped) right after the commit, the last instant of the apply
    if (seriesLeft === 0 || counts.kills >= targetKills) {
      const signal = rng.chance(0.5) ? 'SIGKILL' : 'SIGTERM';
      await applyFully(`restart after ${label}`, signal);
      counts.kills++;
      counts.afterCommit++;
      if (signal === 'SIGTERM') counts.sigterms++;
      seriesLeft = 0;
    }
  }
  probe.close();

  // In the end: every key where it was, nothing added, the ledger one row per snapshot
  const { model: finalModel, rows } = readModel(db, keyIndex, nodes);
  check(equal(finalModel, current), `final rows differ from the model in ${diffModels(finalModel, current).count} places`);
  check(rows.foreign === 0 && rows.misplaced === 0 && rows.nodes + rows.inactive_nodes === nodes, `rows: ${JSON.stringify(rows)}`);
  const ledger = readLedger(db);
  check(
    ledger.length === counts.snapshots && new Set(ledger.map((r) => r.content_hash)).size === ledger.length,
    `${ledger.length} ledger rows for ${counts.snapshots} snapshots`,
  );
  log(`${JSON.stringify(counts)}; apply ${applyMs.map(Math.round).join(',')} ms; kill window ${windowMs} ms`);
  check(counts.rolledBack >= (quick ? 1 : Math.ceil(targetKills / 10)), `only ${counts.rolledBack} kills landed inside an apply transaction`);

  const medianApply = applyMs.sort((a, b) => a - b)[Math.floor(applyMs.length / 2)] ?? 0;
  return {
    runs: counts.kills,
    figures: { ...counts, nodes, medianApplyMs: Math.round(medianApply) },
    line: `${counts.kills} kills (${counts.sigterms} SIGTERM) over ${counts.snapshots} snapshots of ${nodes / 1000}k entries: ${counts.rolledBack} inside the apply transaction (rolled back), ${counts.applied + counts.afterCommit} after the commit (all there), ${counts.untouched} before it; integrity_check ok ${counts.integrityOk}/${counts.kills + 1}; ${counts.restarts} restarts applied the latest, ledger = rows; apply p50 ${Math.round(medianApply)} ms`,
  };
}
