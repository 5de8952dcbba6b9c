// Read-only: the server (`publish` and `run`) under everything the other campaigns do,
// with the ingestor stopped, the database's bytes compared around each activity: the main
// file, and the -wal's content when it has any. Activities: publishing over every kind of
// hostile file; SIGKILL of publish and run at random instants; a -wal with frames left by
// a killed ingestor (with and without its -shm); HTTP load; a second writer publishing at
// the same time, with a signing key; a legacy database it must refuse to touch.
// Pass: the bytes never change; publish never hangs and fails only with a clear message.
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { readSnapshot, writeSnapshot } from '@mbcap/snapshot';
import { dbDigest } from '../lib/meshdb.mjs';
import { plainKinds } from '../lib/hostile.mjs';
import { fixture, ingestorBin, run, serverBin, sleep, start, startServer } from '../lib/proc.mjs';

const FAR_AWAY = '0 0 1 1 *';

export async function runCampaign({ rng, quick, work, check, log, shared }) {
  const nodes = quick ? 2000 : 20_000;
  const db = join(work, 'mesh.db');
  const queue = join(work, 'mbcap-snapshot');
  const file = join(queue, 'snapshot.json');
  await shared.meshDb(nodes, db);
  const counts = { activities: 0, unchanged: 0, publishes: 0, publishFailures: 0, kills: 0, requests: 0, walFrames: 0 };
  const notes = [];

  /** Runs `activity` with the ingestor stopped; the database bytes must not move. */
  async function guard(label, activity) {
    const before = dbDigest(db);
    await activity();
    const after = dbDigest(db);
    counts.activities++;
    if (check(before === after, `${label}: the server changed the database: ${before} → ${after}`)) counts.unchanged++;
  }

  async function publish(label, args = []) {
    const r = await run(serverBin, ['publish', '--db', db, ...args], { timeoutMs: 10_000 });
    counts.publishes++;
    if (r.code !== 0) counts.publishFailures++;
    check(!r.timedOut, `${label}: mbcap-server publish hung (killed after 10 s): ${r.log.slice(-300)}`);
    return r;
  }

  // A first publish, so the hostile kinds have something to replace
  await guard('first publish', async () => check((await publish('first publish')).code === 0, 'the first publish failed'));

  // 1. Publishing over every kind of hostile file
  const c = {
    rng,
    side: join(work, 'side'),
    dbPath: db,
    now: () => Date.now(),
    good: async (entries, options = {}) => {
      await writeSnapshot(join(work, 'side', 'mesh.db'), { entries, writtenAt: options.writtenAt }, { hmacKey: options.hmacKey });
      return readFileSync(join(work, 'side', 'mbcap-snapshot', 'snapshot.json'));
    },
    someKeys: (n) => Array.from({ length: n }, () => rng.hex(32)),
    changes: (n, status) =>
      Array.from({ length: n }, () => ({ public_key: rng.hex(32), status: status ?? 'confirmed', evidence: status === 'suspected' ? 'path' : 'advert' })),
    lastGood: () => Buffer.from('{}'),
  };
  mkdirSync(c.side);
  const kinds = plainKinds();
  const special = [
    'FIFO',
    'unix socket',
    'directory',
    'character device',
    'symlink loop',
    'symlink to the database',
    'hard link to the database',
    'huge sparse file (300 MiB)',
    'rejected/ is a file, then a bad snapshot',
  ];
  const chosen = quick
    ? kinds.filter((k) => special.slice(0, 5).includes(k.name))
    : [...kinds.filter((k) => special.includes(k.name)), ...rng.shuffle(kinds.filter((k) => !special.includes(k.name))).slice(0, 30)];
  for (const kind of chosen) {
    const label = `publish over ${kind.name}`;
    let made;
    try {
      made = await kind.make(c);
      mkdirSync(queue, { recursive: true });
      if (made.bytes) writeFileSync(file, made.bytes);
      else if (made.at === 'path') await made.place(file);
      else {
        rmSync(file, { force: true, recursive: true });
        await made.place(file, file);
      }
    } catch (error) {
      notes.push(`${kind.name}: not makeable here (${error.message.split('\n')[0]})`);
      continue;
    }
    await guard(label, async () => {
      const r = await publish(label);
      if (kind.name === 'directory') {
        // rename() cannot replace a directory: the publish must fail and say so
        check(r.code === 1 && /publish failed/.test(r.stderr), `${label}: exit ${r.code}: ${r.stderr.slice(0, 300)}`);
      } else if (!r.timedOut) {
        check(r.code === 0, `${label}: exit ${r.code}: ${r.stderr.slice(0, 300)}`);
        const read = await readSnapshot(db).catch((error) => error);
        check(read.snapshot?.entries.length === nodes, `${label}: the snapshot after the publish is not whole: ${read.code ?? read.snapshot?.entries.length}`);
      }
    });
    await made.cleanup?.(file);
  }

  // 2. SIGKILL of publish and run at random instants
  const killRounds = quick ? 2 : 12;
  for (let k = 0; k < killRounds; k++) {
    const useRun = rng.chance(0.5);
    await guard(`kill ${k} (${useRun ? 'run' : 'publish'})`, async () => {
      const proc = useRun
        ? start(serverBin, ['run', '--db', db, '--host', '127.0.0.1', '--port', '0', '--interval', '1s'])
        : start(serverBin, ['publish', '--db', db]);
      await sleep(rng.int(useRun ? 1500 : 600));
      await proc.kill('SIGKILL');
      counts.kills++;
    });
  }

  // 3. A -wal with frames left by a killed ingestor, with and without its -shm. The kills
  // above may have left no snapshot at all (each one before its first write completed).
  for (const withShm of quick ? [true] : [true, false]) {
    const base = await publish('publish before the -wal round');
    check(base.code === 0, `publish before the -wal round: exit ${base.code}: ${base.stderr.slice(0, 300)}`);
    await writeSnapshot(db, {
      entries: (await readSnapshot(db)).snapshot.entries.map((e, i) =>
        i % 3 === 0 ? { public_key: e.public_key, status: 'confirmed', evidence: 'advert' } : e,
      ),
      writtenAt: new Date(),
    });
    const ingestor = start(ingestorBin, ['run', '--db', db, '--cron', FAR_AWAY, '--poll', '0']);
    const applied = await ingestor.waitFor(/applied snapshot|unchanged/, 20_000);
    await ingestor.kill('SIGKILL');
    check(applied !== null, `the ingestor did not apply before its kill: ${ingestor.log().slice(-300)}`);
    const walBytes = existsSync(`${db}-wal`) ? statSync(`${db}-wal`).size : 0;
    if (walBytes > 0) counts.walFrames++;
    else notes.push('the killed ingestor left an empty -wal');
    if (!withShm) rmSync(`${db}-shm`, { force: true });
    await guard(`publish and run over a -wal of ${walBytes} bytes${withShm ? '' : ' without -shm'}`, async () => {
      const r = await publish('publish over a -wal');
      check(r.code === 0, `publish over a -wal${withShm ? '' : ' without -shm'}: exit ${r.code}: ${r.stderr.slice(0, 300)}`);
      const { proc, port } = await startServer(db, ['--interval', '1s']);
      for (const path of ['/healthz', '/api/nodes?limit=1000', '/api/nodes?status=confirmed', '/api/multibyte-capability', '/metrics']) {
        const res = await fetch(`http://127.0.0.1:${port}${path}`);
        counts.requests++;
        check(res.status === 200, `GET ${path} over a -wal: ${res.status}`);
        await res.arrayBuffer();
      }
      await sleep(quick ? 300 : 1200);
      const stopped = await proc.kill('SIGTERM');
      check(stopped.code === 0, `server run over a -wal: exit ${stopped.code} after SIGTERM: ${stopped.stderr.slice(-300)}`);
    });
    // Let SQLite tidy the -wal before the next round (this connection may write)
    new Database(db).close();
  }

  // 4. HTTP load, and a second writer publishing at the same time with a signing key
  const keyFile = join(work, 'hmac.key');
  writeFileSync(keyFile, `${rng.hex(16)}\n`, { mode: 0o600 });
  await guard('HTTP load with a signing key and a second writer', async () => {
    const { proc, port } = await startServer(db, ['--interval', '1s', '--hmac-key-file', keyFile]);
    const writer = start(fixture('publisher.mjs'), ['--db', db, '--entries', '500', '--quiet', '--interval-ms', '20']);
    const load = await run(
      fixture('loadgen.mjs'),
      ['--port', String(port), '--seconds', quick ? '2' : '5', '--connections', '3', '--seed', String(rng.int(1e9))],
      { timeoutMs: 30_000 },
    );
    const writerDone = await writer.kill('SIGTERM');
    const figures = JSON.parse(load.stdout || '{}');
    counts.requests += figures.requests ?? 0;
    check(figures.errors === 0 && figures.requests > 0, `HTTP load: ${figures.errors} errors of ${figures.requests}: ${figures.errorSamples?.join(' | ')}`);
    check(JSON.parse(writerDone.stdout.trim().split('\n').at(-1) || '{}').errors === 0, `the second writer failed: ${writerDone.stderr.slice(0, 300)}`);
    const stopped = await proc.kill('SIGTERM');
    check(stopped.code === 0, `server run under load: exit ${stopped.code} after SIGTERM`);
    check(!/SQLITE_BUSY|publish failed/.test(stopped.log), `server under load: ${/[^\n]*(SQLITE_BUSY|publish failed)[^\n]*/.exec(stopped.log)?.[0]}`);
  });

  // 5. A legacy database (no multi-byte columns, rollback journal): refused, untouched
  const legacy = join(work, 'legacy', 'mesh.db');
  mkdirSync(join(work, 'legacy'));
  const conn = new Database(legacy);
  conn.exec(
    "CREATE TABLE nodes (public_key TEXT PRIMARY KEY, name TEXT, role TEXT, lat REAL, lon REAL, last_seen TEXT, first_seen TEXT, advert_count INTEGER DEFAULT 0); INSERT INTO nodes (public_key) VALUES ('aa11');",
  );
  conn.close();
  const legacyBefore = dbDigest(legacy);
  const refused = await run(serverBin, ['publish', '--db', legacy], { timeoutMs: 20_000 });
  counts.activities++;
  check(refused.code === 1 && /mbcap-ingestor migrate/.test(refused.stderr), `legacy database: exit ${refused.code}: ${refused.stderr.slice(0, 300)}`);
  if (check(dbDigest(legacy) === legacyBefore, 'the server changed a legacy database')) counts.unchanged++;

  if (notes.length) log(notes.join('; '));
  return {
    runs: counts.activities,
    figures: { ...counts, notes },
    line: `${counts.unchanged}/${counts.activities} server activities left the database bytes unchanged: ${counts.publishes} publishes (${chosen.length} over hostile files, ${counts.publishFailures} refused), ${counts.kills} SIGKILLs, ${counts.walFrames} over a -wal with frames, ${counts.requests} HTTP requests, a second writer, a legacy db`,
  };
}
