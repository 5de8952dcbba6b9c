import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, openSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { readSnapshot } from '@mbcap/snapshot';
import { advert, keyWith, minutesAgo, scratch, seedDb } from './helpers.js';
import { sleep } from '@mbcap/test-utils';

// A broken log destination (reader gone: EPIPE; full disk: ENOSPC) costs log lines, never
// the process: `run` keeps publishing and serving, and /metrics counts the lines lost.

const bin = fileURLToPath(new URL('../bin/mbcap-server.js', import.meta.url));
const A = keyWith('a1b2');

function seed(db: string) {
  seedDb(db, { nodes: [{ key: A }], packets: [{ raw_hex: advert(A, 2), first_seen: minutesAgo(3) }] });
}

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const port = (probe.address() as { port: number }).port;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

async function seq(db: string): Promise<number> {
  try {
    return (await readSnapshot(db)).snapshot.seq ?? 0;
  } catch {
    return 0;
  }
}

async function get(port: number, path: string): Promise<{ status: number; body: string } | null> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}${path}`);
    return { status: res.status, body: await res.text() };
  } catch {
    return null;
  }
}

/** Starts `run` with stderr as given; checks it keeps publishing and serving, then stops it. */
async function keepsPublishing(db: string, stderr: 'pipe' | number, brokenAfterStart: (child: ReturnType<typeof spawn>) => Promise<void>) {
  const port = await freePort();
  const child = spawn(process.execPath, [bin, 'run', '--db', db, '--port', String(port), '--interval', '1s'], { stdio: ['ignore', 'ignore', stderr] });
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  try {
    await brokenAfterStart(child);
    // Two more publishes after the log broke, each logged (or not) on the way: `run`
    // publishes on change, and a deleted snapshot is one
    const publishes = async () => Number(JSON.parse((await get(port, '/healthz'))?.body ?? '{}').publishes);
    const first = await publishes();
    for (let i = 1; i <= 2; i++) {
      rmSync(join(dirname(db), 'mbcap-snapshot', 'snapshot.json'), { force: true });
      const deadline = Date.now() + 10_000;
      while (Date.now() < deadline && (await publishes()) < first + i && child.exitCode === null) await sleep(50);
    }
    assert.is(child.exitCode, null, `run exited ${child.exitCode} instead of publishing`);
    assert.ok((await publishes()) >= first + 2, `publishes stuck at ${await publishes()} (was ${first})`);

    const health = await get(port, '/healthz');
    assert.is(health?.status, 200, health?.body);
    const metrics = await get(port, '/metrics');
    const lost = Number(/^mbcap_log_lines_lost_total (\d+)$/m.exec(metrics?.body ?? '')?.[1]);
    assert.ok(lost >= 2, `mbcap_log_lines_lost_total is ${lost}:\n${metrics?.body}`);

    child.kill('SIGTERM');
    assert.is(await exited, 0, 'SIGTERM still stops it cleanly');
  } finally {
    child.kill('SIGKILL');
  }
}

test('run keeps publishing and serving after the reader of its stderr goes away (EPIPE)', async () => {
  const s = scratch();
  try {
    seed(s.db);
    await keepsPublishing(s.db, 'pipe', async (child) => {
      let log = '';
      child.stderr!.on('data', (chunk) => (log += chunk));
      for (let i = 0; i < 500 && !/published snapshot seq/.test(log); i++) await sleep(20);
      assert.match(log, /published snapshot seq 1/);
      child.stderr!.destroy(); // journald restarted, the pipe's reader gone
    });
  } finally {
    s.cleanup();
  }
});

test('run keeps publishing and serving with stderr on a full device (ENOSPC, 2>/dev/full)', async () => {
  const s = scratch();
  try {
    seed(s.db);
    const full = openSync('/dev/full', 'w');
    try {
      await keepsPublishing(s.db, full, async () => {
        for (let i = 0; i < 500 && (await seq(s.db)) === 0; i++) await sleep(20);
      });
    } finally {
      closeSync(full);
    }
  } finally {
    s.cleanup();
  }
});

test('publish with 2>/dev/full publishes and exits 0', async () => {
  const s = scratch();
  try {
    seed(s.db);
    const full = openSync('/dev/full', 'w');
    const r = spawnSync(process.execPath, [bin, 'publish', '--db', s.db, '--json'], { stdio: ['ignore', 'pipe', full], encoding: 'utf8', timeout: 60_000 });
    closeSync(full);
    assert.is(r.status, 0);
    assert.is(JSON.parse(r.stdout).seq, 1);
    assert.ok(existsSync(s.file));
    assert.is((await readSnapshot(s.db)).snapshot.seq, 1);
  } finally {
    s.cleanup();
  }
});

test.run();
