// Clocks that jump: snapshots are ordered by the publisher's seq, so a host clock that steps
// back (NTP correcting a fast clock, fake-hwclock, a 1970 boot without RTC) never makes
// every later snapshot stale, while a restored old file and the loser of two racing
// publishers still are. Both processes run under libfaketime (Debian's `faketime`), as
// they would on a host whose clock is wrong.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import { clockEnv, libfaketime } from './fixtures/clock.mjs';
import { repoRoot, scratch, sleep } from './helpers.js';

const serverBin = `${repoRoot}/apps/server/bin/mbcap-server.js`;
const ingestorBin = `${repoRoot}/apps/ingestor/bin/mbcap-ingestor.js`;
const hasFaketime = libfaketime !== undefined;

/** Runs a binary with the host clock at `clock`. */
function at(clock: string | null, bin: string, ...args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', env: clockEnv(clock), timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function applyAt(clock: string | null, db: string, ...args: string[]) {
  const r = at(clock, ingestorBin, 'apply', '--db', db, '--json', ...args);
  assert.is(r.code, 0, r.stderr);
  return { ...JSON.parse(r.stdout), stderr: r.stderr };
}

function publishAt(clock: string | null, db: string): { seq: number } {
  const r = at(clock, serverBin, 'publish', '--db', db, '--json');
  assert.is(r.code, 0, r.stderr);
  return JSON.parse(r.stdout);
}

function setup() {
  const s = scratch('mbcap-clock-');
  assert.is(spawnSync(process.execPath, [ingestorBin, 'migrate', '--db', s.db]).status, 0);
  const conn = new Database(s.db);
  conn.prepare("INSERT INTO nodes (public_key, name) VALUES ('aa11', 'A')").run();
  conn.close();
  return s;
}

const doc = (seq: number | null, writtenAt: string, status: string) =>
  `{${seq === null ? '' : `"version":1,"seq":${seq},`}"writtenAt":"${writtenAt}","entries":[{"public_key":"aa11","status":"${status}"}]}`;

if (!hasFaketime) {
  test("clock steps (skipped: install Debian's faketime package to run these)", () => {
    console.log('  skipped: libfaketime not found (apt-get install faketime)');
  });
} else {
  test('the clock steps back a day: the next snapshot is applied by its higher seq, and the log says what happened', () => {
    const s = setup();
    try {
      // A fast clock, both processes on it
      assert.is(publishAt('+1d', s.db).seq, 1);
      assert.is(applyAt('+1d', s.db).status, 'applied');
      // NTP corrects it: writtenAt is now a day earlier than the last applied one
      assert.is(publishAt(null, s.db).seq, 2);
      const out = applyAt(null, s.db);
      assert.is(out.status, 'applied', out.stderr);
      assert.ok(out.clockStepMs > 86_000_000);
      assert.match(
        out.stderr,
        /warn +applied snapshot seq 2 .*before the previous snapshot's: the publisher's clock stepped back, and the higher seq made it newer/,
      );
      // …and every later one too
      assert.is(publishAt(null, s.db).seq, 3);
      assert.is(applyAt(null, s.db).status, 'applied');
    } finally {
      s.cleanup();
    }
  });

  test('a restored old file is stale whatever the clock; a publisher that restarted its seq is ordered by time', () => {
    const s = setup();
    try {
      publishAt('-1h', s.db);
      copyFileSync(s.file, `${s.dir}/backup.json`);
      publishAt('-1h', s.db);
      assert.is(applyAt(null, s.db).status, 'applied');
      // The operator restores yesterday's backup: seq 1, written before seq 2
      copyFileSync(`${s.dir}/backup.json`, s.file);
      const restored = applyAt(null, s.db);
      assert.is(restored.status, 'stale');
      assert.match(restored.stderr, /snapshot seq 1 is stale: written .* \(seq 1\), before the last applied snapshot, written .* \(seq 2\)/);
      // A publisher that starts from 1 again, later: applied
      writeFileSync(s.file, doc(1, new Date().toISOString(), 'confirmed'));
      assert.is(applyAt(null, s.db).status, 'applied');
    } finally {
      s.cleanup();
    }
  });

  test('two publishers racing to one seq: the one written later wins, the other is stale', () => {
    const s = setup();
    try {
      publishAt(null, s.db);
      const seq = JSON.parse(readFileSync(s.file, 'utf8').replace(/,"checksum".*$/, '}')).seq as number;
      writeFileSync(s.file, doc(seq + 1, '2026-12-01T10:00:05.000Z', 'confirmed'));
      // Both wrote seq+1; this one first in time but renamed last
      const first = applyAt(null, s.db);
      writeFileSync(s.file, doc(seq + 1, '2026-12-01T10:00:04.000Z', 'suspected'));
      assert.equal([first.status, applyAt(null, s.db).status], ['applied', 'stale']);
      writeFileSync(s.file, doc(seq + 1, '2026-12-01T10:00:06.000Z', 'suspected'));
      assert.is(applyAt(null, s.db).status, 'applied');
    } finally {
      s.cleanup();
    }
  });

  test('a Raspberry Pi booting in 1970 without RTC or NTP: snapshots still apply, and `run` warns at start', async () => {
    const s = setup();
    const boot = '@1970-01-01 00:05:00';
    try {
      publishAt(null, s.db);
      assert.is(applyAt(null, s.db).status, 'applied');
      const published = publishAt(boot, s.db);
      assert.is(published.seq, 2);
      const out = applyAt(boot, s.db);
      assert.is(out.status, 'applied', out.stderr);
      assert.match(readFileSync(s.file, 'utf8'), /"writtenAt":"1970-01-01T00:0/);

      const run = spawn(process.execPath, [ingestorBin, 'run', '--db', s.db], { env: clockEnv(boot), stdio: ['ignore', 'ignore', 'pipe'] });
      let log = '';
      run.stderr.on('data', (chunk) => (log += chunk));
      const deadline = Date.now() + 10_000;
      while (Date.now() < deadline && !/watching /.test(log)) await sleep(50);
      run.kill('SIGTERM');
      await new Promise((resolve) => run.on('close', resolve));
      // The last applied snapshot was written in 1970 too: no warning is due
      assert.not.match(log, /clock-behind|behind the last applied/);
      // A host that applied in 2026 and boots in 1970 is told
      publishAt(null, s.db);
      assert.is(applyAt(null, s.db).status, 'applied');
      const warned = spawn(process.execPath, [ingestorBin, 'run', '--db', s.db], { env: clockEnv(boot), stdio: ['ignore', 'ignore', 'pipe'] });
      let warnLog = '';
      warned.stderr.on('data', (chunk) => (warnLog += chunk));
      while (Date.now() < deadline + 10_000 && !/watching /.test(warnLog)) await sleep(50);
      warned.kill('SIGTERM');
      await new Promise((resolve) => warned.on('close', resolve));
      assert.match(warnLog, /warn +this host's clock \(1970-01-01T00:0.*\) is .* behind the last applied snapshot's writtenAt/);
    } finally {
      s.cleanup();
    }
  });

  test('run: the clock steps back an hour mid-run; the next change is published at once, after a full pass that says why', async () => {
    const s = setup();
    // The faked offset is read from a file at every clock read, so it can step while run runs
    const offset = `${s.dir}/clock`;
    writeFileSync(offset, '+0');
    const env = { ...clockEnv('+0'), FAKETIME: undefined, FAKETIME_TIMESTAMP_FILE: offset, FAKETIME_NO_CACHE: '1' } as NodeJS.ProcessEnv;
    const run = spawn(process.execPath, [serverBin, 'run', '--db', s.db, '--port', '0', '--interval', '1h', '--log-format', 'json'], {
      env,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let log = '';
    run.stderr.on('data', (chunk) => (log += chunk));
    const conn = new Database(s.db);
    const seqOnDisk = () => {
      try {
        return JSON.parse(readFileSync(s.file, 'utf8').replace(/,"checksum".*$/, '}')).seq as number;
      } catch {
        return 0;
      }
    };
    const until = async (what: string, fn: () => boolean, ms: number) => {
      const deadline = Date.now() + ms;
      while (Date.now() < deadline && !fn()) await sleep(20);
      assert.ok(fn(), `${what}:\n${log}`);
    };
    const advertOf = (key: string, name: string) => {
      conn.prepare('INSERT INTO nodes (public_key, name) VALUES (?, ?)').run(key, name);
      conn
        .prepare('INSERT INTO transmissions (raw_hex, hash, first_seen, route_type, payload_type, decoded_json) VALUES (?, ?, ?, 1, 4, ?)')
        .run(`514000${'00'.repeat(100)}`, `h-${name}`, new Date().toISOString(), JSON.stringify({ pubKey: key }));
    };
    try {
      await until('the first snapshot', () => seqOnDisk() === 1, 20_000);
      advertOf('bb22', 'B');
      await until('B published and logged', () => /published snapshot seq 2/.test(log), 10_000);
      // More than --min-interval later, NTP steps the clock back an hour, then C's advert arrives (stamped by the importer's own, right clock)
      await sleep(1500);
      writeFileSync(offset, '-1h');
      advertOf('cc33', 'C');
      await until('C published within seconds, not an hour', () => seqOnDisk() === 3, 10_000);
      await until('the full pass said', () => /"event":"full-pass".*the clock went back/.test(log), 5_000);
    } finally {
      conn.close();
      run.kill('SIGKILL');
      s.cleanup();
    }
  });
}

test.run();
