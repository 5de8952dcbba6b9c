// The surroundings of the files: what someone who can write beside the database, or a
// broken machine, can do to the directories, the clock, the keys, the requests and the log.
//
// - links and modes: `rejected/` or `mbcap-snapshot/` replaced by a symbolic link (to the
//   database's directory, to a directory of precious files), a refused file hard-linked to
//   a secret, refused files of random modes, a `rejected/` writable by others;
// - inode reuse: publishes within one second on a small ext4 image (128-byte inodes, whole
//   second times; needs a loop mount), until a snapshot carries the applied one's identity;
// - clock steps: a random walk of the host clock (a day fast, corrected, an hour back, 1970)
//   under libfaketime, publishing and applying at every step, with old files restored;
// - hash floods: a snapshot of keys crafted to collide under the old unseeded hash;
// - malformed rows: keys the snapshot cannot carry (a trailing space, empty, NULL, non-hex);
// - hostile HTTP: request targets that are not URLs, oversized and malformed requests,
//   random bytes;
// - a broken stderr: its reader gone (EPIPE), or a full disk (/dev/full).
//
// Pass: no file the ingestor did not make is deleted, changed or copied; no copy is more
// readable than its file (0600 at most); no changed snapshot is taken for an applied one;
// every fresh publish is applied whatever the clock says, and an older file is stale as
// the ordering rule says; colliding keys apply about as fast as random ones; a bad row is
// skipped, counted and named while the rest is published; no request ends the server; a
// broken log ends neither process nor their work.
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  linkSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { connect } from 'node:net';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import { createSnapshotConsumer, writeSnapshot } from '@mbcap/snapshot';
import { clockEnv, libfaketime } from '../../fixtures/clock.mjs';
import { ingestorBin, run, serverBin, sleep, startServer } from '../lib/proc.mjs';

/** Every file of `dir` with a hash of its bytes (the database's own files by name: checkpoints rewrite them). */
function fingerprint(dir) {
  const out = {};
  for (const name of readdirSync(dir).sort()) {
    const stats = lstatSync(join(dir, name));
    if (!stats.isFile()) continue;
    out[name] = /^mesh\.db(-wal|-shm)?$/.test(name)
      ? 'db'
      : createHash('sha256')
          .update(readFileSync(join(dir, name)))
          .digest('hex');
  }
  return out;
}

const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);

async function cli(bin, args, options = {}) {
  const r = await run(bin, args, { timeoutMs: 60_000, ...options });
  return r;
}

async function applyJson(db, args = [], env) {
  const r = await cli(ingestorBin, ['apply', '--db', db, '--json', ...args], { env });
  try {
    return { ...JSON.parse(r.stdout), stderr: r.stderr, exit: r.code };
  } catch {
    return { status: 'no-output', stderr: r.stderr, exit: r.code };
  }
}

/** A database directory as an operator has it: the database, a key file, backups. */
async function operatorDir(root, name) {
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  const db = join(dir, 'mesh.db');
  const migrated = await cli(ingestorBin, ['migrate', '--db', db]);
  if (migrated.code !== 0) throw new Error(`migrate failed: ${migrated.stderr}`);
  const conn = new Database(db);
  conn.prepare("INSERT INTO nodes (public_key, name) VALUES ('aa11', 'A'), ('bb22', 'B')").run();
  conn.close();
  const keyFile = join(dir, 'hmac.key');
  writeFileSync(keyFile, 'k'.repeat(32), { mode: 0o600 });
  for (let i = 0; i < 12; i++) writeFileSync(join(dir, `mesh.db.bak${String(i).padStart(2, '0')}`), `backup ${i}`);
  const queue = join(dir, 'mbcap-snapshot');
  mkdirSync(queue);
  return { dir, db, queue, file: join(queue, 'snapshot.json'), keyFile };
}

// --- Links and modes ---

async function linksAndModes({ rng, quick, work, check, counts }) {
  const rounds = quick ? 1 : 6;
  for (let round = 0; round < rounds; round++) {
    // rejected/ → the database's directory, with and without a key
    const a = await operatorDir(work, `links-${round}-a`);
    symlinkSync('..', join(a.queue, 'rejected'));
    const before = fingerprint(a.dir);
    for (let i = 0; i < (quick ? 2 : 4); i++) {
      // Malformed, or well formed but unsigned while a key is required
      const signed = rng.chance(0.5);
      const bad = [`{"writtenAt":"2026-11-21T23:00:0${i}Z","entries":[`, `garbage ${rng.int(1e9)}`];
      writeFileSync(a.file, rng.pick(signed ? [...bad, `{"writtenAt":"2026-11-21T23:00:0${i}Z","entries":[]}`] : bad));
      const out = await applyJson(a.db, signed ? ['--hmac-key-file', a.keyFile] : []);
      counts.refused++;
      check(
        out.status === 'malformed' && /no copy kept/.test(out.stderr),
        `rejected/ as a link to ..: not refused with "no copy kept": ${out.status} ${out.stderr.slice(0, 300)}`,
      );
    }
    counts.filesWatched += Object.keys(before).length;
    if (
      !check(same(fingerprint(a.dir), before), `rejected/ as a link to ..: the database directory changed: ${JSON.stringify(Object.keys(fingerprint(a.dir)))}`)
    )
      counts.filesLost++;

    // rejected/ → a directory of files named like copies
    const b = await operatorDir(work, `links-${round}-b`);
    const precious = join(b.dir, 'precious');
    mkdirSync(precious);
    for (let i = 0; i < 12; i++) writeFileSync(join(precious, `20000101T0000${String(i).padStart(2, '0')}.000Z-MALFORMED-${rng.hex(8)}.json`), `precious ${i}`);
    symlinkSync(precious, join(b.queue, 'rejected'));
    const preciousBefore = fingerprint(precious);
    for (let i = 0; i < 3; i++) {
      writeFileSync(b.file, `bad ${rng.int(1e9)}`);
      await applyJson(b.db);
      counts.refused++;
    }
    counts.filesWatched += Object.keys(preciousBefore).length;
    if (!check(same(fingerprint(precious), preciousBefore), 'rejected/ as a link elsewhere: files there changed')) counts.filesLost++;

    // mbcap-snapshot/ itself a link: neither process goes through it
    const c = await operatorDir(work, `links-${round}-c`);
    const elsewhere = join(c.dir, 'elsewhere');
    mkdirSync(elsewhere);
    rmSync(c.queue, { recursive: true });
    symlinkSync(elsewhere, c.queue);
    const published = await cli(serverBin, ['publish', '--db', c.db]);
    counts.refused++;
    check(
      published.code !== 0 && /is a symbolic link, not a directory/.test(published.stderr),
      `a linked handoff directory: the publish was not refused: ${published.stderr.slice(0, 300)}`,
    );
    writeFileSync(join(elsewhere, 'snapshot.json'), '{"writtenAt":"2026-11-21T23:00:00Z","entries":[{"public_key":"aa11","status":"confirmed"}]}');
    const through = await applyJson(c.db);
    counts.refused++;
    check(through.code === 'UNSAFE_DIRECTORY', `a linked handoff directory: read through it: ${through.status} ${through.code}`);
    check(same(readdirSync(elsewhere), ['snapshot.json']), 'a linked handoff directory: something was written through it');

    // A refused file hard-linked to a secret; refused files of random modes
    const d = await operatorDir(work, `links-${round}-d`);
    const secret = join(d.dir, 'secret');
    writeFileSync(secret, `password ${rng.hex(8)}`, { mode: 0o600 });
    linkSync(secret, d.file);
    const linked = await applyJson(d.db);
    counts.refused++;
    check(/hard links/.test(linked.stderr) && !linked.copy, `a hard-linked refused file was copied: ${linked.copy}`);
    const rejected = join(d.queue, 'rejected');
    for (let i = 0; i < (quick ? 2 : 5); i++) {
      const mode = rng.pick([0o644, 0o666, 0o640, 0o600, 0o400, 0o444, 0o604]);
      const next = `${d.file}.${i}`;
      writeFileSync(next, `bad mode ${mode.toString(8)} ${rng.hex(8)}`);
      chmodSync(next, mode);
      renameSync(next, d.file);
      const out = await applyJson(d.db);
      counts.refused++;
      counts.copies++;
      const copyMode = out.copy ? lstatSync(out.copy).mode & 0o777 : null;
      if (!check(copyMode === (mode & 0o600), `a ${mode.toString(8)} refused file was kept as ${copyMode?.toString(8)}`)) counts.copiesTooOpen++;
    }
    const leaked = existsSync(rejected) && readdirSync(rejected).some((n) => readFileSync(join(rejected, n), 'utf8').startsWith('password'));
    check(!leaked, 'the secret was copied into rejected/');

    // rejected/ writable by others
    chmodSync(rejected, 0o777);
    writeFileSync(d.file, 'bad once more');
    const open = await applyJson(d.db);
    counts.refused++;
    check(/writable by other users/.test(open.stderr) && !open.copy, 'a rejected/ writable by others was used');
  }
}

// --- Inode reuse on a small ext4 ---

function smallExt4(work) {
  if (process.getuid?.() !== 0) return 'not root';
  const image = join(work, 'small.ext4');
  const mountpoint = join(work, 'ext4');
  mkdirSync(mountpoint);
  spawnSync('truncate', ['-s', '16M', image]);
  if (spawnSync('mkfs.ext4', ['-q', '-F', '-I', '128', image]).status !== 0) return 'mkfs.ext4 failed';
  const mounted = spawnSync('mount', ['-o', 'loop', image, mountpoint], { encoding: 'utf8' });
  if (mounted.status !== 0) return `loop mount refused (${mounted.stderr.trim()})`;
  return mountpoint;
}

async function inodeReuse({ quick, work, check, counts, log }) {
  const mountpoint = smallExt4(work);
  if (!mountpoint.startsWith('/')) {
    counts.ext4 = `skipped: ${mountpoint}`;
    log(`inode reuse skipped: ${mountpoint}`);
    return;
  }
  const db = join(mountpoint, 'mesh.db');
  const file = join(mountpoint, 'mbcap-snapshot', 'snapshot.json');
  try {
    await cli(ingestorBin, ['migrate', '--db', db]);
    const conn = new Database(db);
    conn.prepare("INSERT INTO nodes (public_key, name) VALUES ('aa11', 'A'), ('bb22', 'B')").run();
    let handled = null;
    const consumer = createSnapshotConsumer(db, { watch: false, pollMs: 0, cron: null, handler: (r) => void (handled = r.snapshot.seq) });
    await consumer.start();
    const entries = (flip) => [
      { public_key: 'aa11', status: flip ? 'confirmed' : 'suspected', evidence: flip ? 'advert' : 'path' },
      { public_key: 'bb22', status: flip ? 'suspected' : 'confirmed', evidence: flip ? 'path' : 'advert' },
    ];
    const want = quick ? 1 : 10;
    for (let round = 0; round < (quick ? 12 : 80) && counts.reuses < want; round++) {
      await sleep(1000 - (Date.now() % 1000) + 5);
      await writeSnapshot(db, { entries: entries(round % 2 === 0) });
      const a = lstatSync(file);
      await consumer.runNow();
      const first = await applyJson(db);
      await writeSnapshot(db, { entries: [{ public_key: 'aa11', status: 'unknown' }] });
      const c = await writeSnapshot(db, { entries: entries(round % 2 === 1) });
      const cStat = lstatSync(file);
      counts.ext4Rounds++;
      if (first.status !== 'applied' || a.ino !== cStat.ino || a.size !== cStat.size || a.mtimeMs !== cStat.mtimeMs || a.ctimeMs !== cStat.ctimeMs) continue;
      counts.reuses++;
      await consumer.runNow();
      const out = await applyJson(db);
      const ok = handled === c.seq && out.status === 'applied' && conn.prepare('SELECT seq FROM mbcap_ledger ORDER BY id DESC LIMIT 1').pluck().get() === c.seq;
      if (!check(ok, `inode reuse: seq ${c.seq} carried the applied file's identity and was skipped (consumer handled ${handled}, apply said ${out.status})`))
        counts.missed++;
    }
    await consumer.stop();
    conn.close();
    counts.ext4 = 'ok';
  } finally {
    spawnSync('umount', ['-l', mountpoint]);
  }
}

// --- Clock steps ---

const UNIT_MS = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** What a clock spec reads now (roughly: an absolute one has ticked a few seconds at most). */
function nowUnder(clock) {
  if (clock.startsWith('@')) return Date.parse(`${clock.slice(1).replace(' ', 'T')}Z`);
  const m = /^([+-]\d+)([smhd])$/.exec(clock);
  return Date.now() + (m ? Number(m[1]) * UNIT_MS[m[2]] : 0);
}

async function clockSteps({ rng, quick, work, check, counts, log }) {
  if (!libfaketime) {
    counts.clock = 'skipped: libfaketime not installed (apt-get install faketime)';
    log(counts.clock);
    return;
  }
  const o = await operatorDir(work, 'clock');
  const clocks = ['+0', '+1d', '-1d', '-1h', '+30s', '-10m', '@1970-01-01 00:05:00', '@2038-01-01 00:00:00'];
  const saved = [];
  let last = null; // the last applied { seq, writtenAtMs }
  const steps = quick ? 8 : 60;
  for (let step = 0; step < steps; step++) {
    const clock = rng.pick(clocks);
    const env = clockEnv(clock);
    if (saved.length > 0 && rng.chance(0.25)) {
      // An old file put back (a backup restored, a replay): the ordering rule decides
      const old = rng.pick(saved);
      copyFileSync(old.path, o.file);
      const out = await applyJson(o.db, [], env);
      counts.restored++;
      // Refused when written too far ahead of this clock (--max-future, 10 min); else by the rule
      const future = old.writtenAtMs - nowUnder(clock) > 10 * 60_000;
      const staleByRule = last !== null && !(old.seq > last.seq || old.writtenAtMs > last.writtenAtMs);
      const expected = future ? 'malformed' : old.seq === last?.seq ? 'unchanged' : staleByRule ? 'stale' : 'applied';
      if (!check(out.status === expected, `clock ${clock}: a restored seq ${old.seq} gave ${out.status}, the rule says ${expected}`)) continue;
      if (expected === 'stale') counts.restoredStale++;
      if (expected === 'malformed') counts.restoredFuture++;
      if (expected === 'applied') last = { seq: old.seq, writtenAtMs: old.writtenAtMs };
      continue;
    }
    const published = await cli(serverBin, ['publish', '--db', o.db, '--json'], { env });
    if (!check(published.code === 0, `clock ${clock}: publish failed: ${published.stderr.slice(0, 300)}`)) continue;
    const seq = JSON.parse(published.stdout).seq;
    const writtenAtMs = Date.parse(/"writtenAt":"([^"]+)"/.exec(readFileSync(o.file, 'utf8'))[1]);
    const path = join(o.dir, `saved-${seq}.json`);
    copyFileSync(o.file, path);
    saved.push({ seq, writtenAtMs, path });
    counts.publishes++;
    const out = await applyJson(o.db, [], env);
    if (last !== null && writtenAtMs < last.writtenAtMs) counts.stepsBack++;
    if (check(out.status === 'applied', `clock ${clock}: a fresh publish (seq ${seq}) was not applied: ${out.status} ${out.stderr.slice(0, 300)}`)) {
      counts.applied++;
      if (last !== null && writtenAtMs < last.writtenAtMs)
        check(/clock stepped back/.test(out.stderr), `clock ${clock}: the step back was applied without a warning`);
      last = { seq, writtenAtMs };
    }
  }
  counts.clock = 'ok';
}

// --- Hash floods ---

/** A database whose nodes carry `keys`, and a snapshot confirming every one; the apply's outcome and time. */
async function applyAll(work, name, keys) {
  const dir = join(work, name);
  mkdirSync(dir);
  const db = join(dir, 'mesh.db');
  await cli(ingestorBin, ['migrate', '--db', db]);
  const conn = new Database(db);
  const insert = conn.prepare('INSERT INTO nodes (public_key) VALUES (?)');
  conn.transaction(() => keys.forEach((k) => insert.run(k)))();
  conn.close();
  await writeSnapshot(db, { entries: keys.map((k) => ({ public_key: k, status: 'confirmed', evidence: 'advert' })) });
  const started = performance.now();
  const out = await applyJson(db);
  return { out, ms: performance.now() - started };
}

async function hashFloods({ quick, work, check, counts }) {
  const { collidingKeys, randomKeys } = await import('../../../bench/lib/flood-keys.mjs');
  const n = quick ? 20_000 : 120_000;
  const flood = await applyAll(work, 'flood', collidingKeys(n));
  const plain = await applyAll(work, 'random', randomKeys(n));
  counts.floodKeys = n;
  counts.floodRatio = Math.round((flood.ms / plain.ms) * 100) / 100;
  counts.floodMs = Math.round(flood.ms);
  check(
    flood.out.status === 'applied' && flood.out.updatedActive === n,
    `hash flood: ${n} colliding keys: ${flood.out.status}, ${flood.out.updatedActive} rows`,
  );
  // A quadratic index takes about 190× as long (51 s against 0.27 s at 120k); anything near linear passes
  check(counts.floodRatio < 10, `hash flood: ${n} colliding keys took ${counts.floodRatio}× the time of random keys`);
}

// --- Malformed rows ---

const BAD_KEYS = ['AB12 ', '', ' aa11', 'xyz', 'aa11\n', 'ff'.repeat(40), 'é1', 'a\u0000b', null, 'aa 11'];

async function malformedRows({ rng, work, check, counts }) {
  const o = await operatorDir(work, 'rows');
  const conn = new Database(o.db);
  const bad = rng.shuffle(BAD_KEYS).slice(0, 6);
  const insert = conn.prepare('INSERT INTO nodes (public_key, name) VALUES (?, ?)');
  const insertInactive = conn.prepare('INSERT INTO inactive_nodes (public_key, name) VALUES (?, ?)');
  bad.forEach((k, i) => (i % 2 ? insertInactive : insert).run(k, `bad ${i}`));
  const good = conn.prepare('SELECT count(*) FROM nodes').pluck().get() + conn.prepare('SELECT count(*) FROM inactive_nodes').pluck().get() - bad.length;
  conn.close();
  const published = await cli(serverBin, ['publish', '--db', o.db, '--json']);
  counts.badRows += bad.length;
  if (!check(published.code === 0, `malformed rows: the publish failed: ${published.stderr.slice(0, 300)}`)) return;
  const out = JSON.parse(published.stdout);
  check(
    out.entries === good && out.skippedRows?.count === bad.length,
    `malformed rows: ${out.entries} entries (want ${good}), ${out.skippedRows?.count} skipped (want ${bad.length})`,
  );
  check(
    published.stderr
      .split('\n')
      .filter(Boolean)
      .every((line) => /^\d{4}-\d\d-\d\dT/.test(line)),
    'malformed rows: a key broke a log line',
  );
  check((await applyJson(o.db)).status === 'applied', 'malformed rows: the snapshot was not applied');
  counts.badRowPublishes++;
}

// --- Hostile HTTP ---

function rawRequest(port, bytes, waitMs = 1500) {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    let text = '';
    const finish = () => {
      clearTimeout(timer);
      socket.destroy();
      resolve(text);
    };
    const timer = setTimeout(finish, waitMs);
    socket.on('connect', () => socket.write(bytes));
    socket.on('data', (chunk) => (text += chunk.toString('latin1')));
    socket.on('error', finish);
    socket.on('close', finish);
  });
}

async function hostileHttp({ rng, quick, work, check, counts }) {
  const o = await operatorDir(work, 'http');
  const server = await startServer(o.db, ['--interval', '1h']);
  const requests = [
    'GET // HTTP/1.1\r\nHost: x\r\n\r\n',
    'GET //a:b@/healthz HTTP/1.1\r\nHost: x\r\n\r\n',
    'GET /\\ HTTP/1.1\r\nHost: x\r\n\r\n',
    'GET //[::1 HTTP/1.1\r\nHost: x\r\n\r\n',
    'GET * HTTP/1.1\r\nHost: x\r\n\r\n',
    'GET http://evil/healthz HTTP/1.1\r\nHost: x\r\n\r\n',
    'GET /api/nodes?limit=%ZZ&offset=-1&status=%00 HTTP/1.1\r\nHost: x\r\n\r\n',
    `GET /${'a'.repeat(100_000)} HTTP/1.1\r\nHost: x\r\n\r\n`,
    `GET / HTTP/1.1\r\nHost: x\r\nX: ${'b'.repeat(20_000)}\r\n\r\n`,
    'BREW /coffee HTCPCP/1.0\r\n\r\n',
    'GET /healthz HTTP/1.1\r\nContent-Length: -1\r\n\r\n',
    'GET /healthz HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\nzz\r\n',
    'GET /he\u0000althz HTTP/1.1\r\n\r\n',
    'GET /healthz HTTP/1.1\r\nHost: x\r\n',
    'GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n'.repeat(200),
  ];
  try {
    const rounds = quick ? 1 : 5;
    for (let r = 0; r < rounds; r++) {
      for (const request of rng.shuffle(requests)) {
        await rawRequest(server.port, request);
        counts.requests++;
      }
      for (let i = 0; i < (quick ? 10 : 100); i++) {
        await rawRequest(server.port, Buffer.from(rng.hex(rng.between(1, 400)), 'hex'), 300);
        counts.requests++;
      }
    }
    const health = await fetch(`http://127.0.0.1:${server.port}/healthz`)
      .then((res) => res.status)
      .catch((error) => String(error));
    check(
      server.proc.alive() && health === 200,
      `hostile HTTP: after ${counts.requests} requests the server is ${server.proc.alive() ? 'alive' : 'gone'}, /healthz gave ${health}: ${server.proc.log().slice(-400)}`,
    );
  } finally {
    await server.proc.kill('SIGTERM');
  }
}

// --- A broken stderr ---

async function brokenStderr({ quick, work, check, counts }) {
  const o = await operatorDir(work, 'stderr');
  const rows = () => {
    const conn = new Database(o.db, { readonly: true });
    try {
      return conn.prepare('SELECT count(*) FROM mbcap_ledger').pluck().get();
    } finally {
      conn.close();
    }
  };
  for (const how of ['closed pipe', '/dev/full']) {
    // The ingestor keeps applying, the server keeps publishing
    const stderr = how === '/dev/full' ? 'exec 2>/dev/full; ' : '';
    const ingestor = spawn(
      'bash',
      ['-c', `${stderr}exec "${process.execPath}" "$@"`, 'bash', ingestorBin, 'run', '--db', o.db, '--cron', '0 0 1 1 *', '--poll', '200ms'],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    const server = spawn(
      'bash',
      ['-c', `${stderr}exec "${process.execPath}" "$@"`, 'bash', serverBin, 'run', '--db', o.db, '--port', '0', '--interval', '1s'],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    if (how === 'closed pipe') {
      await sleep(1500);
      ingestor.stderr.destroy();
      server.stderr.destroy();
    }
    const before = rows();
    const deadline = Date.now() + (quick ? 8_000 : 15_000);
    // `run` publishes on change: the snapshot deleted each second makes each cycle publish
    let deleted = Date.now();
    while (Date.now() < deadline && rows() < before + 3) {
      await sleep(200);
      if (Date.now() - deleted >= 1000) {
        rmSync(join(dirname(o.db), 'mbcap-snapshot', 'snapshot.json'), { force: true });
        deleted = Date.now();
      }
    }
    const applied = rows() - before;
    const alive = ingestor.exitCode === null && server.exitCode === null;
    counts.stderrCases++;
    check(
      alive && applied >= 3,
      `broken stderr (${how}): ${applied} applies since, processes ${alive ? 'alive' : 'gone'} (ingestor ${ingestor.exitCode}, server ${server.exitCode})`,
    );
    ingestor.kill('SIGTERM');
    server.kill('SIGTERM');
    await Promise.all([ingestor, server].map((child) => (child.exitCode === null ? new Promise((resolve) => child.on('close', resolve)) : null)));
  }
}

export async function runCampaign({ rng, quick, work, check, log }) {
  const counts = {
    refused: 0,
    filesWatched: 0,
    filesLost: 0,
    copies: 0,
    copiesTooOpen: 0,
    ext4: 'not run',
    ext4Rounds: 0,
    reuses: 0,
    missed: 0,
    clock: 'not run',
    publishes: 0,
    applied: 0,
    stepsBack: 0,
    restored: 0,
    restoredStale: 0,
    restoredFuture: 0,
    floodKeys: 0,
    floodMs: 0,
    floodRatio: 0,
    badRows: 0,
    badRowPublishes: 0,
    requests: 0,
    stderrCases: 0,
  };
  const context = { rng, quick, work, check, log, counts };
  await linksAndModes({ ...context, rng: rng.fork('links') });
  await inodeReuse(context);
  await clockSteps({ ...context, rng: rng.fork('clock') });
  await hashFloods(context);
  await malformedRows({ ...context, rng: rng.fork('rows') });
  await hostileHttp({ ...context, rng: rng.fork('http') });
  await brokenStderr(context);

  const parts = [
    `links/modes: ${counts.refused} refusals, ${counts.filesLost} of ${counts.filesWatched} files beside touched, ${counts.copiesTooOpen} of ${counts.copies} copies too open`,
    counts.ext4 === 'ok'
      ? `inode reuse (ext4, 128-byte inodes): ${counts.reuses} reuses in ${counts.ext4Rounds} rounds, ${counts.missed} skipped`
      : `inode reuse ${counts.ext4}`,
    counts.clock === 'ok'
      ? `clock: ${counts.applied}/${counts.publishes} publishes applied (${counts.stepsBack} after a step back), ${counts.restored} old files restored, each as the rule says (${counts.restoredStale} stale, ${counts.restoredFuture} too far ahead of the clock)`
      : `clock ${counts.clock}`,
    `hash flood: ${counts.floodKeys} colliding keys applied in ${counts.floodMs} ms, ${counts.floodRatio}× random keys`,
    `malformed rows: ${counts.badRows} bad keys skipped, ${counts.badRowPublishes} publishes went through`,
    `hostile HTTP: ${counts.requests} requests, the server alive`,
    `broken stderr: ${counts.stderrCases} cases (closed pipe, /dev/full), both processes kept working`,
  ];
  return {
    runs: counts.refused + counts.ext4Rounds + counts.publishes + counts.restored + counts.requests + counts.stderrCases + 2,
    figures: counts,
    line: parts.join('; '),
  };
}
