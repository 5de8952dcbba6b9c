// The page's routes under `run` (its files found from dist/, uPlot from its package, the
// Content-Security-Policy on each) and GET /api/adoption on a mesh whose evidence days are
// known. The page itself, in a browser, is test/70.page.test.ts.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { advert, keyWith, message, scratch, seedDb, startServer } from './helpers.js';

const A = keyWith('a1b2');
const B = keyWith('b2c3');
const C = keyWith('c3d4');
const DAY = 86_400_000;
const daysAgo = (d: number) => new Date(Date.now() - d * DAY).toISOString();
const dayOf = (iso: string) => iso.slice(0, 10);
// Once, so the seed and the expectations agree on the day even across midnight
const AGO = { 1: daysAgo(1), 2: daysAgo(2), 3: daysAgo(3), 5: daysAgo(5) };

type Got = { status: number; headers: Headers; text: string; body: any };

async function withServer(fn: (get: (path: string, method?: string) => Promise<Got>) => Promise<void>) {
  const s = scratch();
  // A: suspected 5 days ago (named as a 2-byte hop), confirmed 3 days ago (its 2-byte advert);
  // B: suspected 2 days ago; C: nothing
  seedDb(s.db, {
    nodes: [{ key: A }, { key: B, inactive: true }, { key: C }],
    packets: [
      { raw_hex: message(2, ['a1b2']), first_seen: AGO[5] },
      { raw_hex: advert(A, 2), first_seen: AGO[3] },
      { raw_hex: message(2, ['b2c3']), first_seen: AGO[2] },
      { raw_hex: advert(C, 1), first_seen: AGO[1] },
    ],
  });
  const run = startServer('--db', s.db, '--port', '0', '--interval', '1h');
  try {
    const port = await run.port();
    const get = async (path: string, method = 'GET') => {
      const res = await fetch(`http://127.0.0.1:${port}${path}`, { method });
      const text = await res.text();
      const json = (res.headers.get('content-type') ?? '').startsWith('application/json') && text !== '';
      return { status: res.status, headers: res.headers, text, body: json ? JSON.parse(text) : null };
    };
    for (let i = 0; i < 200 && (await get('/healthz')).body.status === 'starting'; i++) await new Promise((r) => setTimeout(r, 20));
    await fn(get);
  } finally {
    run.child.kill('SIGKILL');
    s.cleanup();
  }
}

test('GET /: the page, and every file it names, each under a strict Content-Security-Policy', () =>
  withServer(async (get) => {
    const page = await get('/');
    assert.is(page.status, 200);
    assert.is(page.headers.get('content-type'), 'text/html; charset=utf-8');
    const csp = page.headers.get('content-security-policy') ?? '';
    assert.match(csp, "default-src 'none'");
    assert.match(csp, "script-src 'self'");
    assert.not.match(csp, 'unsafe');
    assert.is(page.headers.get('x-content-type-options'), 'nosniff');
    assert.is((await get('/', 'HEAD')).status, 200);

    // Scripts and styles named by the page, uPlot's from its installed package
    const named = [...page.text.matchAll(/(?:src|href)="(\/page\/[^"]+)"/g)].map((m) => m[1]!);
    assert.equal(named.sort(), ['/page/page.css', '/page/page.js', '/page/uPlot.iife.min.js', '/page/uPlot.min.css']);
    for (const path of named) {
      const file = await get(path);
      assert.is(file.status, 200, path);
      assert.match(file.headers.get('content-type') ?? '', path.endsWith('.js') ? /^text\/javascript/ : /^text\/css/, path);
      assert.is(file.headers.get('content-security-policy'), csp, path);
      assert.ok(file.text.length > 500, `${path}: ${file.text.length} bytes`);
    }
    assert.match((await get('/page/uPlot.iife.min.js')).text, 'uPlot');
    assert.is((await get('/page/names.json')).body.payload[9], 'TRACE');

    const missing = await get('/page/nope.js');
    assert.is(missing.status, 404);
    assert.ok(missing.body.paths.includes('/'));
    assert.ok(missing.body.paths.includes('/api/adoption'));
  }));

test('GET /api/adoption: per day, the nodes confirmed and suspected by its end', () =>
  withServer(async (get) => {
    const r = await get('/api/adoption');
    assert.is(r.status, 200);
    assert.is(r.body.window, '7d');
    // From the first evidence's day (every packet counts, not only the window's) to today
    assert.is(r.body.days[0], dayOf(AGO[5]));
    assert.is(r.body.days.at(-1), dayOf(r.body.computedAt));
    assert.is(r.body.days.length, 6);
    const on = (iso: string) => r.body.days.indexOf(dayOf(iso));
    const expected = r.body.days.map((_: string, d: number) => ({
      confirmed: d >= on(AGO[3]) ? 1 : 0,
      // A from its hop until its advert, B from its hop on
      suspected: (d >= on(AGO[5]) && d < on(AGO[3]) ? 1 : 0) + (d >= on(AGO[2]) ? 1 : 0),
    }));
    assert.equal(
      r.body.days.map((_: string, d: number) => ({ confirmed: r.body.confirmed[d], suspected: r.body.suspected[d] })),
      expected,
    );

    // The entries name their table
    const capability = await get('/api/multibyte-capability');
    const tables = Object.fromEntries(capability.body.entries.map((e: { public_key: string; table: string }) => [e.public_key, e.table]));
    assert.equal(tables, { [A]: 'nodes', [B]: 'inactive_nodes', [C]: 'nodes' });
  }));

test.run();
