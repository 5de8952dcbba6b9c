// Power loss on a real filesystem that drops unsynced data: LazyFS (a FUSE filesystem with
// its own page cache; github.com/dsrhaslab/lazyfs), taken from LAZYFS_BIN (its `lazyfs`
// binary). Each cut: the prepared directory under a fresh LazyFS mount, one activity (a
// publish applied by `run`, an import, a reset, or all of them) with the real CLIs, and at a
// random instant the power goes: every process is stopped, LazyFS drops what was not
// synced (`lazyfs::clear-cache`), the processes are killed, the filesystem unmounted. Pass:
// what is left passes the same checks as the crash-state explorer's states (a whole
// snapshot at least as new as the last acknowledged, integrity ok, every acknowledged apply,
// import batch and reset there, the next apply leaves the ledger on the file's snapshot).
// LazyFS does not model directory operations (a create or rename is durable at once), so a
// missing directory fsync is for the explorer to find. Without LAZYFS_BIN or working FUSE
// the campaign says so and is skipped. Run it with: --only power-loss.
import { spawn, spawnSync } from 'node:child_process';
import { accessSync, constants, cpSync, existsSync, mkdirSync, openSync, readFileSync, readSync, closeSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readSnapshot } from '@mbcap/snapshot';
import { ACTIVITIES_FIXTURE, acksIn, factsOf, prepareActivities, problemsOf } from '../lib/power-checks.mjs';
import { sleep } from '../lib/proc.mjs';

// Each activity's duration (from `started` to its end) is measured on LazyFS first, without a
// cut; a random cut falls anywhere in it.
const ACTIVITIES = [{ steps: 'publish' }, { steps: 'import' }, { steps: 'reset' }, { steps: 'publish,import,reset,publish' }];

/** Why LazyFS cannot run here, or null. */
function unavailable(bin) {
  if (!bin) return 'LAZYFS_BIN is not set (the path of a built lazyfs binary; see github.com/dsrhaslab/lazyfs)';
  try {
    accessSync(bin, constants.X_OK);
  } catch {
    return `LAZYFS_BIN=${bin} is not an executable file`;
  }
  if (!existsSync('/dev/fuse')) return 'no /dev/fuse: FUSE does not work here';
  return null;
}

const mounted = (point) =>
  readFileSync('/proc/mounts', 'utf8')
    .split('\n')
    .some((l) => l.split(' ')[1] === point);

/** Mounts LazyFS at `mnt` over `root` (three tries: it sometimes fails to start); resolves {proc, fifo, doneFifo} or throws why not. */
async function mountLazyFs(bin, work, root, mnt) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await mountOnce(bin, work, root, mnt);
    } catch (error) {
      if (attempt === 3) throw error;
      await sleep(500);
    }
  }
}

async function mountOnce(bin, work, root, mnt) {
  const fifo = join(work, 'faults.fifo');
  const doneFifo = join(work, 'faults-done.fifo');
  const config = join(work, 'lazyfs.toml');
  writeFileSync(
    config,
    `[faults]\nfifo_path="${fifo}"\nfifo_path_completed="${doneFifo}"\n[cache]\napply_eviction=false\n[cache.simple]\ncustom_size="16mb"\nblocks_per_page=1\n[filesystem]\nlog_all_operations=false\nlogfile="${join(work, 'lazyfs.log')}"\n`,
  );
  mkdirSync(mnt, { recursive: true });
  const proc = spawn(bin, [mnt, '--config-path', config, '-o', 'allow_other', '-o', 'modules=subdir', '-o', `subdir=${root}`, '-f'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  proc.stdout.on('data', (c) => (out += c));
  proc.stderr.on('data', (c) => (out += c));
  const deadline = Date.now() + 30_000;
  while (!(mounted(mnt) && existsSync(fifo))) {
    if (proc.exitCode !== null || Date.now() > deadline) {
      proc.kill('SIGKILL');
      throw new Error(`LazyFS did not mount (${proc.exitCode === null ? 'timed out' : `exit ${proc.exitCode}`}): ${out.trim().slice(-500)}`);
    }
    await sleep(20);
  }
  return { proc, fifo, doneFifo };
}

async function unmount(lazy, mnt) {
  spawnSync('fusermount3', ['-u', mnt]);
  if (mounted(mnt)) spawnSync('umount', ['-l', mnt]);
  const deadline = Date.now() + 5000;
  while (lazy.proc.exitCode === null && Date.now() < deadline) await sleep(20);
  if (lazy.proc.exitCode === null) lazy.proc.kill('SIGKILL');
}

/** The power cut: LazyFS drops every unsynced byte; resolves once it says it is done. */
function clearCache(lazy) {
  // The completion fifo opened read-write, or opening it blocks until LazyFS writes
  const done = openSync(lazy.doneFifo, constants.O_RDWR);
  try {
    writeFileSync(lazy.fifo, 'lazyfs::clear-cache\n');
    const buf = Buffer.alloc(100);
    readSync(done, buf, 0, 100, null);
  } finally {
    closeSync(done);
  }
}

export async function runCampaign({ rng, quick, work, check, log, shared }) {
  const bin = process.env.LAZYFS_BIN;
  const why = unavailable(bin);
  if (why) {
    log(`${why}; skipped`);
    return { runs: 0, skipped: true, figures: {}, line: `skipped: ${why}` };
  }
  const cuts = quick ? 10 : 200;
  const pristine = join(work, 'pristine');
  const importFile = join(work, 'packets.jsonl');
  const prepared = await prepareActivities(pristine, shared, { nodes: 40, packets: 30, importFile });
  const base = { seq: (await readSnapshot(prepared.db)).snapshot.seq, transmissions: prepared.transmissions };
  const root = join(work, 'root');
  const mnt = join(work, 'mnt');
  const counts = { cuts: 0, aimed: 0, bad: 0, acks: 0, byActivity: {}, problems: new Map(), example: null };
  const control = { cuts: 0, lost: 0 };

  /**
   * One activity on a fresh LazyFS mount over a fresh copy of the prepared directory, cut
   * as `cut` says: {afterMs} from `started`, {afterAck(ack), plusMs}, or null (no cut).
   * Resolves the acknowledgements before the cut, the problems of what is left, and how
   * long the activity ran from `started` (uncut).
   */
  async function trial(activity, cut, extra = []) {
    rmSync(root, { recursive: true, force: true });
    cpSync(pristine, root, { recursive: true });
    spawnSync('sync');
    const lazy = await mountLazyFs(bin, work, root, mnt);
    const driver = spawn(
      process.execPath,
      [ACTIVITIES_FIXTURE, '--db', join(mnt, 'mesh.db'), '--steps', activity.steps, '--import', importFile, '--key', prepared.key, '--relay', ...extra],
      { stdio: ['ignore', 'pipe', 'pipe'], detached: true },
    );
    let out = '';
    driver.stdout.on('data', (chunk) => (out += chunk));
    driver.stderr.on('data', () => {});
    let ended = false;
    const exited = new Promise((resolve) => driver.on('close', resolve)).then(() => (ended = true));
    const waitFor = async (test) => {
      const deadline = Date.now() + 60_000;
      while (!ended && Date.now() < deadline && !test()) await sleep(2);
    };
    await waitFor(() => out.includes('{"started":true}'));
    const started = Date.now();
    if (cut === null) await exited;
    else if (cut.afterAck) {
      await waitFor(() => acksIn(out).some(cut.afterAck));
      await sleep(cut.plusMs);
    } else await Promise.race([sleep(cut.afterMs), exited]);
    const ranMs = Date.now() - started;

    // The cut: freeze every process, drop what is unsynced, then kill them
    if (cut !== null) {
      try {
        process.kill(-driver.pid, 'SIGSTOP');
      } catch {
        // the activity already ended
      }
      clearCache(lazy);
      try {
        process.kill(-driver.pid, 'SIGKILL');
      } catch {
        // the activity already ended
      }
    }
    await exited;
    await unmount(lazy, mnt);

    // What the next start finds
    const acks = acksIn(out);
    const state = join(work, 'state');
    rmSync(state, { recursive: true, force: true });
    cpSync(root, state, { recursive: true });
    rmSync(join(state, 'mesh.db-shm'), { force: true });
    const facts = await factsOf(state, { nextApply: true });
    return { acks, problems: problemsOf(facts, acks, base), ranMs, out };
  }

  // How long each activity runs here, uncut (and that LazyFS mounts at all)
  for (const activity of ACTIVITIES) {
    let r;
    try {
      r = await trial(activity, null);
    } catch (error) {
      if (activity === ACTIVITIES[0]) {
        log(`${error.message}; skipped`);
        return { runs: 0, skipped: true, figures: {}, line: `skipped: ${error.message.split('\n')[0]}` };
      }
      throw error;
    }
    check(r.problems.length === 0 && r.out.includes('"done":true'), `${activity.steps} without a cut: ${r.problems.join('; ')} ${r.out.slice(-500)}`);
    activity.ms = r.ranMs;
  }
  log(`activities uncut on LazyFS: ${ACTIVITIES.map((a) => `${a.steps} ${a.ms} ms`).join(', ')}`);

  // The cuts: half at a random instant, half a few ms after a random acknowledgement
  for (let c = 0; c < cuts; c++) {
    const activity = rng.pick(ACTIVITIES);
    counts.byActivity[activity.steps] = (counts.byActivity[activity.steps] ?? 0) + 1;
    let cut;
    if (rng.chance(0.5)) {
      counts.aimed++;
      const kinds = ['publish', 'apply', 'import', 'reset'].filter((k) => activity.steps.includes(k === 'apply' ? 'publish' : k));
      const kind = rng.pick(kinds);
      cut = { afterAck: (a) => a.kind === kind, plusMs: rng.int(20) };
    } else cut = { afterMs: rng.int(activity.ms) };
    const r = await trial(activity, cut);
    counts.cuts++;
    counts.acks += r.acks.length;
    if (r.problems.length) {
      counts.bad++;
      for (const p of r.problems) counts.problems.set(p.replace(/\d+/g, 'N'), (counts.problems.get(p.replace(/\d+/g, 'N')) ?? 0) + 1);
      counts.example ??= `cut ${c} during ${activity.steps}, ${r.acks.length} acknowledged: ${r.problems.join('; ')}`;
    }
  }

  // The control: --synchronous normal, cut just after run says applied
  for (let c = 0; c < (quick ? 3 : 10); c++) {
    const r = await trial(ACTIVITIES[0], { afterAck: (a) => a.kind === 'apply', plusMs: 0 }, ['--synchronous', 'normal']);
    control.cuts++;
    if (r.problems.some((p) => /acknowledged apply/.test(p))) control.lost++;
  }
  for (const [kind, n] of counts.problems) check(false, `${n} cuts: ${kind}`);
  // Cuts that never lose anything would prove nothing
  check(
    control.lost > 0,
    `the control lost nothing: ${control.cuts} cuts just after an apply under --synchronous normal all kept it (do the cuts drop unsynced data?)`,
  );
  if (counts.example) log(`first bad cut: ${counts.example}`);
  log(JSON.stringify({ ...counts, problems: Object.fromEntries(counts.problems) }));
  return {
    runs: counts.cuts,
    figures: { cuts: counts.cuts, aimed: counts.aimed, bad: counts.bad, acks: counts.acks, byActivity: counts.byActivity, control },
    line: `${counts.cuts} power cuts on LazyFS (${counts.aimed} just after an acknowledgement; ${Object.entries(counts.byActivity)
      .map(([a, n]) => `${n} ${a.includes(',') ? 'all four' : a}`)
      .join(
        ', ',
      )}), ${counts.acks} acknowledgements before them: ${counts.bad} bad states; control, --synchronous normal cut just after an apply: ${control.lost}/${control.cuts} lost it`,
  };
}
