import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import Database from 'better-sqlite3';
import { encodeAdvert, encodePacket, PAYLOAD_TYPE, ROUTE_TYPE, toHex } from '@mbcap/meshcore';
import { repoRoot, scratch, sleep, start } from './helpers.js';

const serverBin = `${repoRoot}/apps/server/bin/mbcap-server.js`;
const ingestorBin = `${repoRoot}/apps/ingestor/bin/mbcap-ingestor.js`;
const cli = (bin: string, ...args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8' });

const key = (prefix: string) => (prefix + '77'.repeat(32)).slice(0, 64);
const A = key('a1b2c3');
const B = key('b2c3d4');
const C = key('c3d4e5');

function advertHex(k: string, hashSize: number, hops: string[] = []) {
  const payload = encodeAdvert({ publicKey: k, timestamp: 1_790_000_000, type: 2, name: 'n' });
  return toHex(encodePacket({ routeType: ROUTE_TYPE.FLOOD, payloadType: PAYLOAD_TYPE.ADVERT, hashSize, hops, payload }));
}

function seed(db: string) {
  assert.is(cli(ingestorBin, 'migrate', '--db', db).status, 0);
  const conn = new Database(db);
  conn.prepare("INSERT INTO nodes (public_key, name, multibyte_sup, multibyte_evidence) VALUES (?, 'A', 0, NULL), (?, 'B', 2, 'advert')").run(A, B);
  conn.prepare("INSERT INTO inactive_nodes (public_key, name) VALUES (?, 'C')").run(C);
  conn
    .prepare('INSERT INTO transmissions (raw_hex, hash, first_seen, payload_type) VALUES (?, ?, ?, 4)')
    .run(advertHex(A, 2, ['c3d4']), 'x1', new Date().toISOString());
  conn.close();
}

function capabilities(db: string) {
  const conn = new Database(db, { readonly: true });
  const rows = conn
    .prepare(
      'SELECT public_key, multibyte_sup, multibyte_evidence FROM nodes UNION ALL SELECT public_key, multibyte_sup, multibyte_evidence FROM inactive_nodes',
    )
    .all() as { public_key: string; multibyte_sup: number; multibyte_evidence: string | null }[];
  conn.close();
  return Object.fromEntries(rows.map((r) => [r.public_key, [r.multibyte_sup, r.multibyte_evidence]]));
}

test('server publish, then ingestor apply: the values land, and B keeps its confirmed value', () => {
  const s = scratch();
  try {
    seed(s.db);
    const published = cli(serverBin, 'publish', '--db', s.db, '--json');
    assert.is(published.status, 0, published.stderr);
    assert.equal(JSON.parse(published.stdout).confirmed, 1);
    const applied = cli(ingestorBin, 'apply', '--db', s.db, '--json');
    assert.is(applied.status, 0, applied.stderr);
    const out = JSON.parse(applied.stdout);
    assert.equal([out.status, out.updatedActive, out.updatedInactive, out.skipped], ['applied', 1, 1, 1]);
    // B is unknown in this window's packets, but the snapshot's unknown never overwrites
    assert.equal(capabilities(s.db), { [A]: [2, 'advert'], [B]: [2, 'advert'], [C]: [1, 'path'] });
  } finally {
    s.cleanup();
  }
});

test('the two long-running processes together: new traffic reaches the database on its own', async () => {
  const s = scratch();
  seed(s.db);
  const ingestor = start(ingestorBin, ['run', '--db', s.db, '--cron', '0 0 1 1 *']);
  const server = start(serverBin, ['run', '--db', s.db, '--port', '0', '--interval', '1s']);
  try {
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline && capabilities(s.db)[C]?.[0] !== 1) await sleep(50);
    assert.equal(capabilities(s.db)[C], [1, 'path'], 'first publish applied');
    // New traffic: C, so far only suspected, sends a 2-byte advert
    const conn = new Database(s.db);
    conn
      .prepare('INSERT INTO transmissions (raw_hex, hash, first_seen, payload_type) VALUES (?, ?, ?, 4)')
      .run(advertHex(C, 2), 'x2', new Date().toISOString());
    conn.close();
    while (Date.now() < deadline + 10_000 && capabilities(s.db)[C]?.[0] !== 2) await sleep(50);
    assert.equal(capabilities(s.db)[C], [2, 'advert'], 'the upgrade was published and applied');
  } finally {
    server.child.kill('SIGTERM');
    ingestor.child.kill('SIGTERM');
    const [sr, ir] = await Promise.all([server.done, ingestor.done]);
    s.cleanup();
    assert.is(sr.code, 0, sr.stderr);
    assert.is(ir.code, 0, ir.stderr);
    assert.match(ir.stderr, /applied snapshot seq \d+/);
  }
});

test.run();
