import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { advert, keyWith, message, minutesAgo, scratch, seedDb, startServer } from './helpers.js';
import { sleep } from '@mbcap/test-utils';

type Health = { status: string; ready: boolean; notReadyReason: string | null; lastPublish: { error: string | null } | null; failures: number };

async function probe(port: number, path: '/healthz' | '/readyz') {
  const res = await fetch(`http://127.0.0.1:${port}${path}`);
  return { status: res.status, body: (await res.json()) as Health };
}

test('failed publishes from the start: /healthz 200 saying failing, /readyz 503, the API serves, and both recover', async () => {
  const s = scratch();
  seedDb(s.db, { nodes: [{ key: keyWith('a1') }], packets: [] });
  // A file where the snapshot directory should be: every publish fails
  writeFileSync(join(s.dir, 'mbcap-snapshot'), 'in the way');
  const run = startServer('--db', s.db, '--port', '0', '--interval', '1s');
  try {
    const port = await run.port();
    let h = await probe(port, '/healthz');
    for (let i = 0; i < 200 && h.body.lastPublish === null; i++) {
      await sleep(50);
      h = await probe(port, '/healthz');
    }
    // Alive: the process answers; the body says what is wrong
    assert.is(h.status, 200);
    assert.is(h.body.status, 'failing');
    assert.match(h.body.lastPublish!.error!, /EEXIST|ENOTDIR|not a directory|file already exists/i);
    // Not ready: no publish has ever succeeded
    const r = await probe(port, '/readyz');
    assert.is(r.status, 503);
    assert.is(r.body.ready, false);
    assert.match(r.body.notReadyReason!, /no publish cycle has succeeded yet/);
    assert.match(run.log(), /error publish failed after .*; the previous snapshot stays in place; next try on the next change noticed, or in 1 s/);
    assert.is((await fetch(`http://127.0.0.1:${port}/api/nodes`)).status, 200, 'the API keeps serving');
    rmSync(join(s.dir, 'mbcap-snapshot'));
    let ready = await probe(port, '/readyz');
    for (let i = 0; i < 100 && ready.status !== 200; i++) {
      await sleep(50);
      ready = await probe(port, '/readyz');
    }
    assert.is(ready.status, 200);
    assert.is(ready.body.status, 'ok');
    assert.is((await probe(port, '/healthz')).status, 200);
  } finally {
    run.child.kill('SIGKILL');
    s.cleanup();
  }
});

test('one failed publish after a success leaves /readyz 200; only failures for 3 cycles make it 503', async () => {
  const s = scratch();
  seedDb(s.db, { nodes: [{ key: keyWith('a1') }], packets: [] });
  const run = startServer('--db', s.db, '--port', '0', '--interval', '1s');
  try {
    const port = await run.port();
    let r = await probe(port, '/readyz');
    for (let i = 0; i < 200 && r.status !== 200; i++) {
      await sleep(50);
      r = await probe(port, '/readyz');
    }
    assert.is(r.status, 200, 'ready after the first publish');
    // From now on every publish fails
    rmSync(join(s.dir, 'mbcap-snapshot'), { recursive: true });
    writeFileSync(join(s.dir, 'mbcap-snapshot'), 'in the way');
    let h = await probe(port, '/healthz');
    for (let i = 0; i < 200 && h.body.failures === 0; i++) {
      await sleep(20);
      h = await probe(port, '/healthz');
    }
    assert.is(h.status, 200);
    assert.is(h.body.status, 'failing');
    r = await probe(port, '/readyz');
    assert.is(r.status, 200, 'one failed publish does not make the API unready');
    assert.is(r.body.ready, true);
    for (let i = 0; i < 300 && r.status === 200; i++) {
      await sleep(50);
      r = await probe(port, '/readyz');
    }
    assert.is(r.status, 503);
    assert.match(r.body.notReadyReason!, /no publish has succeeded for \d+ s \(3 cycles\); the last error: /);
    assert.is((await probe(port, '/healthz')).status, 200, 'still alive');
  } finally {
    run.child.kill('SIGKILL');
    s.cleanup();
  }
});

// A writer that keeps SQLite busy the way the ingestor does: transactions of inserts.
const WRITER = `
  const Database = (await import('better-sqlite3')).default;
  const db = new Database(process.argv[1], { timeout: 5000 });
  const insert = db.prepare('INSERT INTO transmissions (raw_hex, hash, first_seen, payload_type) VALUES (?, ?, ?, ?)');
  const end = Date.now() + Number(process.argv[2]);
  let n = 0;
  while (Date.now() < end) {
    db.transaction(() => { for (let i = 0; i < 500; i++, n++) insert.run(process.argv[3], 'w' + n, new Date().toISOString(), 1); })();
  }
  db.close();
  console.log(n);
`;

test('while another process writes, publishes and requests never see SQLITE_BUSY', async () => {
  const s = scratch();
  const a = keyWith('a1b2');
  seedDb(s.db, { nodes: [{ key: a }, { key: keyWith('c3d4') }], packets: [{ raw_hex: advert(a, 2), first_seen: minutesAgo(3) }] });
  const run = startServer('--db', s.db, '--port', '0', '--interval', '1s');
  try {
    const port = await run.port();
    // The first publish done, so the writes overlap whole cycles
    for (let i = 0; i < 200 && !/published snapshot seq/.test(run.log()); i++) await sleep(50);
    const writer = spawn(process.execPath, ['--input-type=module', '-e', WRITER, s.db, '3000', message(2, ['c3d4'])], {
      cwd: new URL('..', import.meta.url),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let written = '';
    let writerErr = '';
    writer.stdout.on('data', (c) => (written += c));
    writer.stderr.on('data', (c) => (writerErr += c));
    const statuses: number[] = [];
    const start = Date.now();
    while (Date.now() - start < 3000) {
      for (const path of ['/api/nodes', '/healthz']) statuses.push((await fetch(`http://127.0.0.1:${port}${path}`)).status);
    }
    await new Promise((r) => writer.on('close', r));
    assert.is(writerErr, '');
    assert.ok(Number(written) > 1000, `the writer wrote ${written} rows`);
    assert.ok(statuses.length > 50, `${statuses.length} requests`);
    assert.equal([...new Set(statuses)], [200]);
    assert.not.match(run.log(), /SQLITE_BUSY|publish failed/);
    assert.ok((run.log().match(/published snapshot seq/g) ?? []).length >= 2, run.log());
  } finally {
    run.child.kill('SIGKILL');
    s.cleanup();
  }
});

test.run();
