// Disk full and permissions. The tests run as root, so chmod stops nothing: where
// `mount -t tmpfs` works, the snapshot directory (and, apart, the database) is put on a
// tiny tmpfs and filled up or remounted read-only; everywhere, a file size limit
// (RLIMIT_FSIZE, with SIGXFSZ ignored, so writes fail with EFBIG) and a file where the
// directory should be.
// Pass: every failing publish says so (exit 1 / an error count / /healthz 503 with the
// error) and leaves the previous snapshot byte for byte, with no temp file left; a reader
// polling all along and the running ingestor never see a half-written file; after space
// comes back the next publish goes through and is applied. An apply that hits a full disk
// rolls back, is retried, and lands whole once there is room.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isTempName } from '@mbcap/handoff';
import { readSnapshot, writeSnapshot } from '@mbcap/snapshot';
import { integrityCheck, readLedger, readModel } from '../lib/meshdb.mjs';
import { applyToModel, randomSnapshot } from '../lib/snapshots.mjs';
import { eventually, fixture, ingestorBin, run, serverBin, sleep, start, startServer } from '../lib/proc.mjs';

const FAR_AWAY = '0 0 1 1 *';

function tryMount(dir, size) {
  mkdirSync(dir, { recursive: true });
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size},mode=0755`, 'tmpfs', dir], { stdio: 'pipe' });
    return true;
  } catch {
    return false;
  }
}

function unmount(dir) {
  try {
    execFileSync('umount', [dir], { stdio: 'pipe' });
  } catch {
    try {
      execFileSync('umount', ['-l', dir], { stdio: 'pipe' });
    } catch {
      // not mounted
    }
  }
}

/** Fills the file system of `dir` until about `leaveBytes` are free; returns the filler's path. */
function fill(dir, leaveBytes) {
  const { bavail, bsize } = statfsSync(dir);
  const filler = join(dir, 'filler');
  const size = Math.max(0, bavail * bsize - leaveBytes);
  writeFileSync(filler, Buffer.alloc(size));
  return filler;
}

/** Polls readSnapshot until stopped: counts reads that fail for another reason than absence. */
function startReader(db) {
  const state = { reads: 0, bad: 0, samples: [], running: true };
  const done = (async () => {
    while (state.running) {
      try {
        await readSnapshot(db);
      } catch (error) {
        if (error.code !== 'NOT_FOUND') {
          state.bad++;
          if (state.samples.length < 3) state.samples.push(`${error.code}: ${error.message}`);
        }
      }
      state.reads++;
      await sleep(2);
    }
  })();
  return {
    state,
    stop: async () => {
      state.running = false;
      await done;
      return state;
    },
  };
}

export async function runCampaign({ rng, quick, work, check, log, shared }) {
  const counts = { failedPublishes: 0, keptChecks: 0, keptPrevious: 0, recovered: 0, reads: 0, badReads: 0, tmpfs: false, applyRetried: 0 };
  const notes = [];
  const mounts = [];

  /** A publish that must fail: the previous file stays byte for byte, no temp is left. */
  function expectKept(label, queue, previous, result, pattern) {
    counts.failedPublishes++;
    counts.keptChecks++;
    check(pattern.test(result), `${label}: the failure was not reported as ${pattern}: ${result.slice(0, 300)}`);
    const now = existsSync(join(queue, 'snapshot.json')) ? readFileSync(join(queue, 'snapshot.json')) : null;
    if (check(previous === null ? now === null : now?.equals(previous), `${label}: the previous snapshot was not kept intact`)) counts.keptPrevious++;
    const temps = existsSync(queue) ? readdirSync(queue).filter((n) => isTempName('snapshot.json', n)) : [];
    check(temps.length === 0, `${label}: temp files left: ${temps.join(', ')}`);
  }

  const publisher = (db, entries, extra = []) =>
    run(fixture('publisher.mjs'), ['--db', db, '--count', '1', '--entries', String(entries), ...extra], { timeoutMs: 30_000 });
  const limited = (blocks, script, args) =>
    run('bash', ['-c', `trap "" XFSZ; ulimit -f ${blocks}; exec "${process.execPath}" "$@"`, 'bash', script, ...args], { command: 'bash', timeoutMs: 30_000 });

  try {
    // --- 1. The snapshot directory on a 256 KiB tmpfs: fill it, remount it read-only ---
    const a = join(work, 'a');
    const aDb = join(a, 'mesh.db');
    const aQueue = join(a, 'mbcap-snapshot');
    mkdirSync(a);
    await shared.meshDb(1000, aDb);
    counts.tmpfs = tryMount(aQueue, '256k');
    if (counts.tmpfs) {
      mounts.push(aQueue);
      const ingestor = start(ingestorBin, ['run', '--db', aDb, '--cron', FAR_AWAY]);
      check((await ingestor.waitFor(/info {2}watching /, 20_000)) !== null, `ingestor did not start: ${ingestor.log()}`);
      const reader = startReader(aDb);
      check((await run(serverBin, ['publish', '--db', aDb], { timeoutMs: 30_000 })).code === 0, 'the first publish on the tmpfs failed');
      check((await ingestor.waitFor(/applied snapshot seq 1 /, 10_000)) !== null, `the first publish was not applied: ${ingestor.log().slice(-300)}`);
      let previous = readFileSync(join(aQueue, 'snapshot.json'));

      // Full: 40 KiB left, a snapshot of 100 KiB
      const filler = fill(aQueue, 40 * 1024);
      const full = await run(serverBin, ['publish', '--db', aDb], { timeoutMs: 30_000 });
      check(full.code === 1, `server publish on a full disk: exit ${full.code}`);
      expectKept('server publish, disk full', aQueue, previous, full.stderr, /publish failed: ENOSPC/);
      const pattern = await publisher(aDb, 2000);
      expectKept('writer, disk full', aQueue, previous, `${pattern.stdout}${pattern.stderr}`, /"errors":1[\s\S]*|ENOSPC/);
      check(/ENOSPC/.test(pattern.stderr), `writer, disk full: ${pattern.stderr.slice(0, 200)}`);

      // The long-running server: /healthz alive (200) saying failing with the error, the API still up, then recovery
      if (!quick) {
        // `run` publishes on change: after a reset, its cycle must publish, on a full disk
        const reset = await run(ingestorBin, ['reset', '--db', aDb, '--all'], { timeoutMs: 30_000 });
        check(reset.code === 0, `reset before the server run: exit ${reset.code}: ${reset.stderr.slice(0, 200)}`);
        const { proc: server, port } = await startServer(aDb, ['--interval', '1s']);
        const health = async () => {
          const res = await fetch(`http://127.0.0.1:${port}/healthz`);
          return { status: res.status, body: await res.json() };
        };
        const failing = await eventually(async () => {
          const h = await health();
          return h.body.lastPublish ? h : null;
        }, 15_000);
        check(
          failing?.status === 200 && failing?.body.status === 'failing' && /ENOSPC/.test(failing?.body.lastPublish?.error ?? ''),
          `/healthz on a full disk: ${failing?.status} ${JSON.stringify(failing?.body.lastPublish)}`,
        );
        check((await fetch(`http://127.0.0.1:${port}/api/nodes?limit=5`)).status === 200, '/api/nodes on a full disk');
        expectKept('server run, disk full', aQueue, previous, String(failing?.body.lastPublish?.error), /ENOSPC/);
        rmSync(filler);
        const healed = await eventually(async () => ((await health()).body.status === 'ok' ? true : null), 15_000, 200);
        if (check(healed === true, 'the server did not recover once space came back')) counts.recovered++;
        const stopped = await server.kill('SIGTERM');
        check(stopped.code === 0, `server exit ${stopped.code} after SIGTERM`);
        const read = await readSnapshot(aDb);
        check(
          (await ingestor.waitFor(new RegExp(`applied snapshot seq ${read.snapshot.seq} `), 10_000)) !== null,
          `the publish after recovery (seq ${read.snapshot.seq}) was not applied: ${ingestor.log().slice(-300)}`,
        );
        previous = readFileSync(join(aQueue, 'snapshot.json'));
      } else rmSync(filler);

      // Read-only file system
      execFileSync('mount', ['-o', 'remount,ro', aQueue]);
      const ro = await run(serverBin, ['publish', '--db', aDb], { timeoutMs: 30_000 });
      check(ro.code === 1, `server publish on a read-only file system: exit ${ro.code}`);
      expectKept('server publish, read-only file system', aQueue, previous, ro.stderr, /publish failed: EROFS/);
      execFileSync('mount', ['-o', 'remount,rw', aQueue]);
      const back = await run(serverBin, ['publish', '--db', aDb], { timeoutMs: 30_000 });
      if (check(back.code === 0, `publish once writable again: ${back.stderr.slice(0, 200)}`)) counts.recovered++;

      const r = await reader.stop();
      counts.reads += r.reads;
      counts.badReads += r.bad;
      check(r.bad === 0, `a reader saw ${r.bad} bad snapshots: ${r.samples.join(' | ')}`);
      const stopped = await ingestor.kill('SIGTERM');
      check(stopped.code === 0, `ingestor exit ${stopped.code} after SIGTERM`);
      check(!/malformed| error /.test(stopped.log), `the ingestor saw something bad: ${/[^\n]*(malformed| error )[^\n]*/.exec(stopped.log)?.[0]}`);
      unmount(aQueue);
      mounts.pop();

      // --- 2. A 64 KiB tmpfs: a snapshot that cannot fit at all ---
      const b = join(work, 'b');
      const bDb = join(b, 'mesh.db');
      const bQueue = join(b, 'mbcap-snapshot');
      if (tryMount(bQueue, '64k')) {
        mounts.push(bQueue);
        const reader2 = startReader(bDb);
        check((await publisher(bDb, 200)).code === 0, 'a small snapshot on the 64 KiB tmpfs');
        const small = readFileSync(join(bQueue, 'snapshot.json'));
        for (let k = 0; k < (quick ? 2 : 5); k++) {
          const big = await publisher(bDb, rng.between(900, 3000));
          expectKept(`writer, ${k}: snapshot larger than the disk`, bQueue, small, big.stderr, /ENOSPC/);
        }
        const r2 = await reader2.stop();
        counts.reads += r2.reads;
        counts.badReads += r2.bad;
        check(r2.bad === 0, `a reader saw ${r2.bad} bad snapshots on the 64 KiB tmpfs: ${r2.samples.join(' | ')}`);
        unmount(bQueue);
        mounts.pop();
      }

      // --- 3. The database on a full disk: the apply rolls back, is retried, lands whole ---
      const d = join(work, 'd');
      mkdirSync(d);
      if (tryMount(d, '16m')) {
        mounts.push(d);
        const dDb = join(d, 'mesh.db');
        const nodes = quick ? 5000 : 20_000;
        const { keys, keyIndex, model } = await shared.meshDb(nodes, dDb);
        const next = randomSnapshot(rng, keys, model, { unknownShare: 0.1 });
        await writeSnapshot(dDb, { entries: next.entries });
        const filler = fill(d, 160 * 1024);
        const ingestor = start(ingestorBin, ['run', '--db', dDb, '--cron', FAR_AWAY]);
        const failed = await ingestor.waitFor(/could not apply the snapshot: ([^\n]*)/, 20_000);
        check(failed !== null && /full/i.test(failed[1]), `an apply on a full disk did not fail as such: ${ingestor.log().slice(-400)}`);
        if (failed) counts.applyRetried++;
        const during = readModel(dDb, keyIndex, nodes).model;
        check(Buffer.compare(during, model) === 0 && readLedger(dDb).length === 0, 'a failed apply left some of its rows or its ledger row');
        rmSync(filler);
        const applied = await ingestor.waitFor(/applied snapshot seq 1 /, 20_000);
        check(applied !== null, `the apply did not land once space came back: ${ingestor.log().slice(-400)}`);
        const stopped = await ingestor.kill('SIGTERM');
        check(stopped.code === 0, `ingestor exit ${stopped.code} after SIGTERM`);
        const integrity = integrityCheck(dDb);
        check(integrity === 'ok', `integrity_check after a full disk: ${integrity}`);
        const after = readModel(dDb, keyIndex, nodes).model;
        check(Buffer.compare(after, applyToModel(model, next.entries, keyIndex)) === 0, 'after a full disk, the snapshot did not land whole');
        check(readLedger(dDb).length === 1, `${readLedger(dDb).length} ledger rows`);
        unmount(d);
        mounts.pop();
      } else notes.push('no 16m tmpfs for the database');
    } else notes.push('mount -t tmpfs is not permitted here: tmpfs cases skipped');

    // --- 4. A file size limit (RLIMIT_FSIZE): writes fail with EFBIG part-way ---
    const e = join(work, 'e');
    const eDb = join(e, 'mesh.db');
    const eQueue = join(e, 'mbcap-snapshot');
    mkdirSync(e);
    await shared.meshDb(1000, eDb);
    check((await run(serverBin, ['publish', '--db', eDb], { timeoutMs: 30_000 })).code === 0, 'a plain publish');
    const previous = readFileSync(join(eQueue, 'snapshot.json'));
    const reader = startReader(eDb);
    for (let k = 0; k < (quick ? 2 : 6); k++) {
      // above 32 KiB: SQLite must be able to create the 32 KiB -shm to open the database at all
      const blocks = rng.between(40, 100);
      if (k % 2 === 0) {
        const r = await limited(blocks, serverBin, ['publish', '--db', eDb]);
        check(r.code === 1, `server publish under a ${blocks} KiB file limit: exit ${r.code}`);
        expectKept(`server publish, ${blocks} KiB file limit`, eQueue, previous, r.stderr, /publish failed: EFBIG/);
      } else {
        const r = await limited(blocks, fixture('publisher.mjs'), ['--db', eDb, '--count', '1', '--entries', '3000']);
        expectKept(`writer, ${blocks} KiB file limit`, eQueue, previous, r.stderr, /EFBIG/);
      }
    }
    const r = await reader.stop();
    counts.reads += r.reads;
    counts.badReads += r.bad;
    check(r.bad === 0, `a reader saw ${r.bad} bad snapshots under a file size limit: ${r.samples.join(' | ')}`);

    // --- 5. A file where the snapshot directory should be ---
    const f = join(work, 'f');
    const fDb = join(f, 'mesh.db');
    mkdirSync(f);
    await shared.meshDb(1000, fDb);
    const ingestor = start(ingestorBin, ['run', '--db', fDb, '--cron', FAR_AWAY, '--poll', '500ms']);
    check((await ingestor.waitFor(/info {2}watching /, 20_000)) !== null, `ingestor did not start: ${ingestor.log()}`);
    rmSync(join(f, 'mbcap-snapshot'), { recursive: true, force: true });
    writeFileSync(join(f, 'mbcap-snapshot'), 'in the way');
    const blocked = await run(serverBin, ['publish', '--db', fDb], { timeoutMs: 30_000 });
    check(blocked.code === 1, `server publish with a file in the way: exit ${blocked.code}`);
    check(/publish failed: (EEXIST|ENOTDIR)/.test(blocked.stderr), `server publish with a file in the way: ${blocked.stderr.slice(0, 300)}`);
    counts.failedPublishes++;
    check(readFileSync(join(f, 'mbcap-snapshot'), 'utf8') === 'in the way', 'the file in the way was touched');
    await sleep(600);
    check(ingestor.alive(), `the ingestor died with a file in the way: ${ingestor.log().slice(-400)}`);
    rmSync(join(f, 'mbcap-snapshot'));
    const good = await run(serverBin, ['publish', '--db', fDb], { timeoutMs: 30_000 });
    check(good.code === 0, `publish once the way is clear: ${good.stderr.slice(0, 200)}`);
    if (
      check(
        (await ingestor.waitFor(/applied snapshot seq 1 /, 10_000)) !== null,
        `the publish after the way was cleared was not applied: ${ingestor.log().slice(-400)}`,
      )
    )
      counts.recovered++;
    const stopped = await ingestor.kill('SIGTERM');
    check(stopped.code === 0, `ingestor exit ${stopped.code} after SIGTERM`);
  } finally {
    for (const dir of mounts.reverse()) unmount(dir);
  }

  if (notes.length) log(notes.join('; '));
  return {
    runs: counts.failedPublishes,
    figures: { ...counts, notes },
    line: `${counts.failedPublishes} failing publishes (${counts.tmpfs ? 'tmpfs full / 64 KiB / read-only, ' : 'no tmpfs here, '}EFBIG file limit, a file in the way): each reported, previous kept ${counts.keptPrevious}/${counts.keptChecks}, 0 temps left; ${counts.reads} reads during, ${counts.badReads} bad; ${counts.recovered} recoveries applied; apply on a full disk rolled back and retried ${counts.applyRetried}x${notes.length ? `; ${notes.join('; ')}` : ''}`,
  };
}
