import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { writeSnapshot } from '@mbcap/snapshot';
import { capabilities, eventually, migrated, scratch, seedDb, sleep } from './helpers.js';

// A broken log destination (reader gone: EPIPE; full disk: ENOSPC) costs log lines, never
// the process: `run` keeps applying every publish and stops with exit 0.

const bin = fileURLToPath(new URL('../bin/mbcap-ingestor.js', import.meta.url));
const FAR_AWAY = '0 0 1 1 *';

function startRun(db: string, stderr: 'pipe' | number) {
  const child = spawn(process.execPath, [bin, 'run', '--db', db, '--cron', FAR_AWAY, '--poll', '200ms'], { stdio: ['ignore', 'ignore', stderr] });
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  return { child, exited };
}

/** Publishes twice, checking each lands in the database while `child` stays alive, then stops it. */
async function keepsApplying(db: string, run: { child: ChildProcess; exited: Promise<number | null> }) {
  // Upward, as a stored value only rises
  for (const [status, sup] of [
    ['suspected', 1],
    ['confirmed', 2],
  ] as const) {
    await writeSnapshot(db, { entries: [{ public_key: 'aa11', status, evidence: 'advert' }] });
    assert.ok(await eventually(() => capabilities(db).aa11?.[0] === sup || run.child.exitCode !== null, 5000), `${status} not applied`);
    assert.is(run.child.exitCode, null, `run exited ${run.child.exitCode} instead of applying the ${status} snapshot`);
    assert.is(capabilities(db).aa11?.[0], sup);
  }
  await sleep(300); // any crash from the log line that follows the commit shows by now
  assert.is(run.child.exitCode, null, 'run is still running');
  run.child.kill('SIGTERM');
  assert.is(await run.exited, 0, 'SIGTERM still stops it cleanly');
}

test('run keeps applying after the reader of its stderr goes away (EPIPE)', async () => {
  const s = scratch();
  seedDb(s.db, [{ key: 'aa11' }]);
  const run = startRun(s.db, 'pipe');
  try {
    const firstLine = await new Promise<string>((resolve) => run.child.stderr!.once('data', (chunk) => resolve(String(chunk))));
    assert.match(firstLine, /info /);
    run.child.stderr!.destroy(); // journald restarted, the pipe's reader gone
    await keepsApplying(s.db, run);
  } finally {
    run.child.kill('SIGKILL');
    s.cleanup();
  }
});

test('run keeps applying with stderr on a full device (ENOSPC, 2>/dev/full)', async () => {
  const s = scratch();
  seedDb(s.db, [{ key: 'aa11' }]);
  const full = openSync('/dev/full', 'w');
  const run = startRun(s.db, full);
  closeSync(full);
  try {
    await keepsApplying(s.db, run);
  } finally {
    run.child.kill('SIGKILL');
    s.cleanup();
  }
});

test('apply with 2>/dev/full applies and exits 0', async () => {
  const s = scratch();
  try {
    seedDb(s.db, [{ key: 'aa11' }]);
    await writeSnapshot(s.db, { entries: [{ public_key: 'aa11', status: 'confirmed', evidence: 'advert' }] });
    const full = openSync('/dev/full', 'w');
    const r = spawnSync(process.execPath, [bin, 'apply', '--db', s.db], { stdio: ['ignore', 'pipe', full], encoding: 'utf8', timeout: 60_000 });
    closeSync(full);
    assert.is(r.status, 0);
    assert.equal(capabilities(s.db).aa11, [2, 'advert', 'nodes']);
  } finally {
    s.cleanup();
  }
});

test('import with 2>/dev/full (its log and progress go through process.stderr) stores every line and exits 0', () => {
  const s = migrated();
  try {
    const full = openSync('/dev/full', 'w');
    const real = fileURLToPath(new URL('../../demo/data/real-packets.jsonl', import.meta.url));
    const r = spawnSync(process.execPath, [bin, 'import', '--db', s.db, '--json', real], {
      stdio: ['ignore', 'pipe', full],
      encoding: 'utf8',
      timeout: 60_000,
    });
    closeSync(full);
    assert.is(r.status, 0);
    assert.is(JSON.parse(r.stdout).stored, 54);
    const conn = new Database(s.db, { readonly: true });
    assert.is((conn.prepare('SELECT count(*) AS n FROM transmissions').get() as { n: number }).n, 54);
    conn.close();
  } finally {
    s.cleanup();
  }
});

// A log file on a small filesystem that fills up, then gets space back
const mountPoint = scratch();
const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', mountPoint.dir], { encoding: 'utf8' });
const canMount = mounted.status === 0;
if (!canMount)
  console.log(
    `skipping the full-disk log file test: cannot mount a 64k tmpfs here (${(mounted.stderr || mounted.error?.message || '').trim() || `exit ${mounted.status}`}); 2>/dev/full above covers ENOSPC`,
  );

(canMount ? test : test.skip)('run keeps applying while its log file is on a full disk, and says how many lines were lost once there is room', async () => {
  const s = scratch();
  const logPath = join(mountPoint.dir, 'ingestor.log');
  const filler = join(mountPoint.dir, 'filler');
  seedDb(s.db, [{ key: 'aa11' }]);
  const log = openSync(logPath, 'a');
  // Fill the disk, to the last byte
  const fd = openSync(filler, 'w');
  try {
    for (const size of [4096, 1]) {
      for (;;) {
        try {
          writeSync(fd, Buffer.alloc(size));
        } catch {
          break;
        }
      }
    }
  } finally {
    closeSync(fd);
  }
  const run = startRun(s.db, log);
  closeSync(log);
  try {
    await writeSnapshot(s.db, { entries: [{ public_key: 'aa11', status: 'suspected', evidence: 'path' }] });
    assert.ok(await eventually(() => capabilities(s.db).aa11?.[0] === 1 || run.child.exitCode !== null, 5000));
    assert.is(run.child.exitCode, null, 'run is still running on a full disk');
    assert.is(capabilities(s.db).aa11?.[0], 1);
    assert.is(readFileSync(logPath, 'utf8'), '', 'nothing fitted in the log');

    // Room again: the next line owns up to the gap, and the apply is logged
    rmSync(filler);
    await writeSnapshot(s.db, { entries: [{ public_key: 'aa11', status: 'confirmed', evidence: 'advert' }] });
    assert.ok(await eventually(() => /applied snapshot seq 2/.test(readFileSync(logPath, 'utf8')), 5000), readFileSync(logPath, 'utf8'));
    assert.is(capabilities(s.db).aa11?.[0], 2);
    assert.match(
      readFileSync(logPath, 'utf8'),
      /warn {2}\d+ log lines? could not be written \(ENOSPC\); the log has a gap before this line\n.*applied snapshot seq 2/,
    );
    run.child.kill('SIGTERM');
    assert.is(await run.exited, 0);
  } finally {
    run.child.kill('SIGKILL');
    s.cleanup();
  }
});

test.after(() => {
  if (canMount) spawnSync('umount', [mountPoint.dir]);
  mountPoint.cleanup();
});

test.run();
