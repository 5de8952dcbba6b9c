// /api/nodes, /api/nodes/:key and /api/multibyte-capability as a client sees them: the
// upstream fields, one node, pages of entries, ETags and gzip.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { request } from 'node:http';
import { gunzipSync } from 'node:zlib';
import { sleep } from '@mbcap/test-utils';
import { advert, ingestor, keyWith, message, minutesAgo, scratch, seedDb, startServer } from './helpers.js';

const A = keyWith('a1b2');
const B = keyWith('b2c3');
const C = keyWith('c3d4');
const D = keyWith('d4e5');
/** Enough unknown nodes that the answers pass the gzip threshold. */
const MORE = Array.from({ length: 40 }, (_, i) => keyWith(`e${i.toString(16).padStart(3, '0')}`));

type Raw = { status: number; headers: Record<string, string | string[] | undefined>; bytes: Buffer };

function raw(port: number, path: string, headers: Record<string, string> = {}): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, bytes: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

async function withServer(fn: (port: number, db: string) => Promise<void>) {
  const s = scratch();
  seedDb(s.db, {
    nodes: [
      { key: A },
      { key: B, sup: 1, evidence: 'path' },
      { key: C },
      { key: D, inactive: true, sup: 2, evidence: 'advert' },
      ...MORE.map((key) => ({ key })),
    ],
    packets: [
      { raw_hex: advert(A, 2), first_seen: minutesAgo(5) },
      { raw_hex: message(3, [C.slice(0, 6)]), first_seen: minutesAgo(4) },
    ],
  });
  const run = startServer('--db', s.db, '--port', '0', '--interval', '1h');
  try {
    const port = await run.port();
    for (let i = 0; i < 200 && JSON.parse((await raw(port, '/healthz')).bytes.toString()).lastSuccess === null; i++) await sleep(20);
    await fn(port, s.db);
  } finally {
    run.child.kill('SIGKILL');
    s.cleanup();
  }
}

const json = (r: Raw) => JSON.parse((r.headers['content-encoding'] === 'gzip' ? gunzipSync(r.bytes) : r.bytes).toString());

test('/api/nodes: multi_byte_max_hash_size from the last cycle, unknown evidence "" as upstream gives it', () =>
  withServer(async (port) => {
    const body = json(await raw(port, '/api/nodes?limit=1000'));
    const byKey = new Map(body.nodes.map((n: Record<string, unknown>) => [n.public_key, n]));
    const [a, b, c, d] = [A, B, C, D].map((k) => byKey.get(k) as Record<string, unknown>);
    // Persisted status (nothing applied yet for A and C), computed hash size
    assert.equal([a!.multi_byte_status, a!.multi_byte_evidence, a!.multi_byte_max_hash_size], ['unknown', '', 2]);
    assert.equal([b!.multi_byte_status, b!.multi_byte_evidence, b!.multi_byte_max_hash_size], ['suspected', 'path', 1]);
    assert.equal([c!.multi_byte_status, c!.multi_byte_evidence, c!.multi_byte_max_hash_size], ['unknown', '', 3]);
    assert.equal([d!.multi_byte_status, d!.multi_byte_evidence, d!.inactive], ['confirmed', 'advert', true]);
    assert.type(body.as_of, 'string');
  }));

test('/api/nodes/:key: one node, matched ignoring case; 404 for none, 400 for a bad key', () =>
  withServer(async (port) => {
    const one = await raw(port, `/api/nodes/${C.toUpperCase()}`);
    assert.is(one.status, 200);
    assert.equal(json(one).node.public_key, C);
    assert.is(json(one).node.multi_byte_max_hash_size, 3);
    assert.is((await raw(port, `/api/nodes/${keyWith('ffee')}`)).status, 404);
    const bad = await raw(port, '/api/nodes/not-hex');
    assert.is(bad.status, 400);
    assert.match(json(bad).error, /2 to 64 hex digits/);
  }));

test('/api/multibyte-capability: whole without paging, else paged and filtered like /api/nodes', () =>
  withServer(async (port) => {
    const whole = json(await raw(port, '/api/multibyte-capability'));
    assert.is(whole.entries.length, 44);
    assert.is(whole.total, 44);
    assert.is(whole.limit, null);
    assert.is(whole.computed_at, whole.computedAt);
    const unknown = whole.entries.filter((e: { status: string }) => e.status === 'unknown');
    assert.ok(unknown.every((e: { evidence: string }) => e.evidence === ''));
    const page = json(await raw(port, '/api/multibyte-capability?status=unknown&limit=5&offset=3'));
    assert.is(page.total, unknown.length);
    assert.equal(page.entries, unknown.slice(3, 8));
    const suspected = json(await raw(port, '/api/multibyte-capability?status=suspected'));
    assert.equal(
      suspected.entries.map((e: { public_key: string }) => e.public_key),
      [C],
    );
    assert.equal(json(await raw(port, '/api/multibyte-capability?offset=100')).entries, []);
    assert.is((await raw(port, '/api/multibyte-capability?limit=0')).status, 400);
  }));

test('ETag and If-None-Match: 304 until the data changes; gzip when asked for', () =>
  withServer(async (port, db) => {
    // Answers come from the listing, with an ETag (the first one waits for it to be made)
    for (let i = 0; i < 100 && (await raw(port, '/api/nodes')).headers.etag === undefined; i++) await sleep(20);
    for (const path of ['/api/nodes?limit=1000', '/api/multibyte-capability']) {
      const plain = await raw(port, path);
      assert.is(plain.status, 200);
      assert.is(plain.headers['content-encoding'], undefined);
      const etag = plain.headers.etag as string;
      assert.match(etag, /^W\/".+"$/);
      const zipped = await raw(port, path, { 'accept-encoding': 'gzip' });
      assert.is(zipped.headers['content-encoding'], 'gzip', path);
      assert.is(zipped.headers.vary, 'accept-encoding');
      assert.ok(zipped.bytes.length < plain.bytes.length / 2, `${zipped.bytes.length} of ${plain.bytes.length}`);
      assert.equal(gunzipSync(zipped.bytes).toString(), plain.bytes.toString());
      const again = await raw(port, path, { 'if-none-match': etag });
      assert.is(again.status, 304, path);
      assert.is(again.bytes.length, 0);
    }
    // The ingestor applies the snapshot: the nodes change, and so does their ETag
    const before = (await raw(port, '/api/nodes?limit=1000')).headers.etag as string;
    assert.is(JSON.parse(ingestor('apply', '--db', db, '--json').stdout).status, 'applied');
    let after = await raw(port, '/api/nodes?limit=1000', { 'if-none-match': before });
    // Read again in the background; until then the listing as it stands (304)
    for (let i = 0; i < 100 && after.status === 304; i++) {
      await sleep(20);
      after = await raw(port, '/api/nodes?limit=1000', { 'if-none-match': before });
    }
    assert.is(after.status, 200);
    assert.is.not(after.headers.etag, before);
    const a = json(after).nodes.find((n: { public_key: string }) => n.public_key === A);
    assert.equal([a.multi_byte_status, a.multi_byte_evidence], ['confirmed', 'advert']);
  }));

test.run();
