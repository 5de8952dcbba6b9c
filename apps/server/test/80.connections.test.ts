import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { advert, keyWith, minutesAgo, scratch, seedDb, startServerWith } from './helpers.js';
import { sleep } from '@mbcap/test-utils';

// HTTP load never costs a publish: under an open-file limit of 1024 (a common default),
// 300 keep-alive clients and 1000 connections that never send a byte would take every
// descriptor; the connection cap keeps some for the publisher, which keeps publishing.
// (A reduced version of bench/http-load.mjs: it asserts outcomes, not timings.)

const swarmScript = fileURLToPath(new URL('../../../test/fixtures/http-swarm.mjs', import.meta.url));
const A = keyWith('a1b2');

type SwarmLine = {
  event: string;
  answered?: number;
  statuses?: Record<string, number>;
  halfOpen?: { connected: number; closedByServer: number };
};

function startSwarm(args: string[]) {
  const child = spawn(process.execPath, [swarmScript, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: SwarmLine[] = [];
  let out = '';
  let err = '';
  child.stdout.on('data', (chunk) => {
    out += chunk;
    for (let nl = out.indexOf('\n'); nl !== -1; nl = out.indexOf('\n')) {
      lines.push(JSON.parse(out.slice(0, nl)));
      out = out.slice(nl + 1);
    }
  });
  child.stderr.on('data', (chunk) => (err += chunk));
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  return { child, lines, exited, stderr: () => err, last: () => lines.at(-1) };
}

const published = (log: string) => (log.match(/published snapshot seq/g) ?? []).length;

async function until(what: string, check: () => boolean, ms: number, log: () => string) {
  const deadline = Date.now() + ms;
  while (!check() && Date.now() < deadline) await sleep(50);
  assert.ok(check(), `${what} within ${ms} ms:\n${log()}`);
}

test('1000 silent connections then 300 keep-alive clients: no publish fails, /healthz answers afterwards', async () => {
  const s = scratch();
  seedDb(s.db, { nodes: [{ key: A }, { key: keyWith('b2c3') }], packets: [{ raw_hex: advert(A, 2), first_seen: minutesAgo(3) }] });
  const run = startServerWith({ nofile: 1024 }, '--db', s.db, '--port', '0', '--interval', '1s');
  let swarm: ReturnType<typeof startSwarm> | null = null;
  // `run` publishes on change: the snapshot deleted now and then makes every cycle a real
  // publish, which needs descriptors of its own
  const churn = setInterval(() => rmSync(s.file, { force: true }), 300);
  try {
    const port = await run.port();

    swarm = startSwarm(['--port', String(port), '--half-open', '1000', '--clients', '300', '--seconds', '60', '--offset-max', '2']);
    const sw = swarm;
    const status = () => `${run.log()}\nswarm: ${JSON.stringify(sw.last())} ${sw.stderr()}`;
    await until('the load got going', () => sw.lines.some((l) => l.event === 'ready'), 15_000, status);

    // The silent connections hold every slot: past the cap, connections are refused, and the
    // publisher still has descriptors
    let before = published(run.log());
    await until('2 publishes while silent connections fill the cap', () => published(run.log()) >= before + 2, 10_000, status);
    assert.not.match(run.log(), /publish failed|EMFILE/);

    // Silent ones are closed after 10 s; then the clients get in and are answered
    await until('the server closed every silent connection', () => sw.last()?.halfOpen?.closedByServer === 1000, 35_000, status);
    await until('the clients were answered', () => (sw.last()?.answered ?? 0) > 100, 10_000, status);
    before = published(run.log());
    await until("2 publishes under the clients' load", () => published(run.log()) >= before + 2, 10_000, status);

    sw.child.kill('SIGTERM');
    await sw.exited;
    assert.ok(
      sw.lines.some((l) => l.event === 'done'),
      sw.stderr(),
    );

    // The process lives, the log and /healthz show no failed publish, /metrics the refusals
    assert.is(run.child.exitCode, null, run.log());
    assert.not.match(run.log(), /publish failed|EMFILE/);
    const health = await fetch(`http://127.0.0.1:${port}/healthz`);
    assert.is(health.status, 200);
    const body = (await health.json()) as { status: string; failures: number; http: { maxConnections: number; refusedConnections: number } };
    assert.is(body.status, 'ok');
    assert.is(body.failures, 0);
    assert.is(body.http.maxConnections, 512);
    assert.ok(body.http.refusedConnections >= 488, `${body.http.refusedConnections} connections refused`);
    assert.match(run.log(), /warn {2}512 connections open, the most allowed: refused one from 127\.0\.0\.1/);
    assert.match(
      run.log(),
      /accepting at most 512 connections at once \(open-file limit 1024, 64 descriptors kept for publishing\); idle connections close after 5 s, silent ones after 10 s/,
    );
    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    assert.match(metrics, /^mbcap_publish_failures_total 0$/m);
    assert.match(metrics, /^mbcap_http_connections_max 512$/m);

    run.child.kill('SIGTERM');
    assert.is(await run.exited, 0, run.log());
  } finally {
    clearInterval(churn);
    swarm?.child.kill('SIGKILL');
    run.child.kill('SIGKILL');
    s.cleanup();
  }
});

test('--max-connections is obeyed, and lowered when the open-file limit is too low for it', async () => {
  const s = scratch();
  seedDb(s.db, { nodes: [{ key: A }], packets: [] });
  const run = startServerWith({ nofile: 256 }, '--db', s.db, '--port', '0', '--interval', '1h', '--max-connections', '1000');
  try {
    await run.port();
    const m = /--max-connections 1000 lowered to (\d+): the open-file limit is 256 and 64 descriptors stay free for publishing/.exec(run.log());
    assert.ok(m, run.log());
    assert.ok(Number(m![1]) <= 256 - 64 && Number(m![1]) > 100, m![1]);
    assert.match(run.log(), new RegExp(`accepting at most ${m![1]} connections at once`));
  } finally {
    run.child.kill('SIGKILL');
    s.cleanup();
  }
});

test('--max-connections must be a positive whole number', async () => {
  const s = scratch();
  seedDb(s.db, { nodes: [{ key: A }], packets: [] });
  const run = startServerWith({}, '--db', s.db, '--port', '0', '--max-connections', '0');
  try {
    assert.is(await run.exited, 2, run.log());
    assert.match(run.log(), /Expected --max-connections to be a positive whole number, got 0/);
  } finally {
    run.child.kill('SIGKILL');
    s.cleanup();
  }
});

test.run();
