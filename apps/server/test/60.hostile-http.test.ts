import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { advert, keyWith, minutesAgo, rawRequest, scratch, seedDb, startServer, type RunningServer } from './helpers.js';

// No request, however malformed, ends the process: each is answered (404, 400, 431) or
// closed, the server keeps answering /healthz, and the log says what happened in one line
// per kind of trouble, not one per request.

const A = keyWith('a1b2');

async function withServer(fn: (port: number, run: RunningServer) => Promise<void>) {
  const s = scratch();
  seedDb(s.db, { nodes: [{ key: A }], packets: [{ raw_hex: advert(A, 2), first_seen: minutesAgo(5) }] });
  const run = startServer('--db', s.db, '--port', '0', '--interval', '1h');
  try {
    const port = await run.port();
    await fn(port, run);
    run.child.kill('SIGTERM');
    assert.is(await run.exited, 0, run.log());
  } finally {
    run.child.kill('SIGKILL');
    s.cleanup();
  }
}

async function stillServing(port: number, run: RunningServer, after: string) {
  assert.is(run.child.exitCode, null, `the server exited after ${after}:\n${run.log()}`);
  const health = await fetch(`http://127.0.0.1:${port}/healthz`);
  assert.is(health.status, 200, `/healthz after ${after}`);
  await health.body?.cancel();
}

const statusOf = (text: string) => /^HTTP\/1\.1 (\d{3}) /.exec(text)?.[1] ?? `no status line in ${JSON.stringify(text.slice(0, 80))}`;

test('request targets that new URL() refuses are answered, and the server lives on', () =>
  withServer(async (port, run) => {
    // What `curl --path-as-is` sends for //, //a:b@/healthz, /\ and //[::1
    for (const target of ['//', '//a:b@/healthz', '/\\', '//[::1']) {
      const { text } = await rawRequest(port, `GET ${target} HTTP/1.1\r\nhost: 127.0.0.1\r\nconnection: close\r\n\r\n`);
      assert.is(statusOf(text), '404', `GET ${target}`);
      assert.match(text, /"error":"not found: GET /);
      await stillServing(port, run, `GET ${target}`);
    }
    // Not a path at all: 400, and one log line
    const star = await rawRequest(port, 'GET * HTTP/1.1\r\nhost: 127.0.0.1\r\nconnection: close\r\n\r\n');
    assert.is(statusOf(star.text), '400');
    assert.match(run.log(), /warn {2}bad request target "\*" from 127\.0\.0\.1; answered 400\n/);
    // The absolute form (as sent to a proxy) names a route like the origin form
    const absolute = await rawRequest(port, `GET http://127.0.0.1:${port}/healthz HTTP/1.1\r\nhost: 127.0.0.1\r\nconnection: close\r\n\r\n`);
    assert.is(statusOf(absolute.text), '200');
    await stillServing(port, run, 'the hostile targets');
  }));

test('malformed HTTP is answered 400 (431 for huge headers) and the connection closed', () =>
  withServer(async (port, run) => {
    const cases: [string, string | Buffer, string][] = [
      ['no method', 'BLAH\r\n\r\n', '400'],
      ['a header without a colon', 'GET /healthz HTTP/1.1\r\nnot a header\r\n\r\n', '400'],
      ['binary bytes', Buffer.from([0, 1, 2, 3, 0xff, 0xfe, 13, 10, 13, 10]), '400'],
      ['a space in the target', 'GET /heal thz HTTP/1.1\r\nhost: x\r\n\r\n', '400'],
      ['headers past the limit', `GET /healthz HTTP/1.1\r\nx-big: ${'a'.repeat(20_000)}\r\n\r\n`, '431'],
    ];
    for (const [what, bytes, status] of cases) {
      const r = await rawRequest(port, bytes);
      assert.is(statusOf(r.text), status, what);
      assert.ok(r.closedByServer, `${what}: the server closes the connection`);
      await stillServing(port, run, what);
    }
    const lines = run
      .log()
      .split('\n')
      .filter((line) => /malformed request from/.test(line));
    assert.ok(lines.length >= 1, run.log());
    assert.match(lines[0]!, /malformed request from 127\.0\.0\.1 \(HPE_\w+: .*\); answered 400 and closed the connection$/);
  }));

test('a flood of malformed requests costs a log line or two, and /metrics counts them all', () =>
  withServer(async (port, run) => {
    await Promise.all(Array.from({ length: 60 }, (_, i) => rawRequest(port, i % 2 ? 'BLAH\r\n\r\n' : 'GET // HTTP/1.1\r\nhost: x\r\n\r\n')));
    await Promise.all(Array.from({ length: 30 }, () => rawRequest(port, 'GET * HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n')));
    await stillServing(port, run, 'the flood');
    const warnings = run
      .log()
      .split('\n')
      .filter((line) => / warn /.test(line));
    assert.ok(warnings.length <= 2, `${warnings.length} warning lines:\n${warnings.join('\n')}`);
    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    assert.match(metrics, /^mbcap_http_malformed_requests_total 60$/m);
    assert.match(metrics, /^mbcap_http_requests_total\{route="other",code="404"\} 30$/m);
  }));

test('a client that sends half a request and goes away leaves the server serving', () =>
  withServer(async (port, run) => {
    for (const bytes of ['GET /healthz HTTP/1.1\r\nhost:', 'GET /api/nodes?limit=1', 'G']) {
      const r = await rawRequest(port, bytes, 100);
      assert.is(r.text, '');
    }
    await stillServing(port, run, 'half requests');
  }));

test.run();
