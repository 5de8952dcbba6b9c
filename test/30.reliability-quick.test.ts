import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { readSnapshot } from '@mbcap/snapshot';
import { repoRoot, run, scratch, start, type Run } from './helpers.js';

// The reduced reliability suite: campaigns of test/reliability/run.mjs run with --quick in
// one child process (torn reads and writer crash have their reduced versions in
// 10.handoff-processes.test.ts), then regressions for the product bugs the suite found.
// The seed is random unless RELIABILITY_SEED is set; a failure names the replay command.

const script = join(repoRoot, 'test', 'reliability', 'run.mjs');
const fixture = (name: string) => join(repoRoot, 'test', 'fixtures', 'reliability', name);
const ingestorBin = join(repoRoot, 'apps', 'ingestor', 'bin', 'mbcap-ingestor.js');
const serverBin = join(repoRoot, 'apps', 'server', 'bin', 'mbcap-server.js');
const CAMPAIGNS = ['ingestor-crash', 'hostile-files', 'read-only', 'load', 'disk-full', 'surroundings'];
const seed = process.env.RELIABILITY_SEED ?? String(Math.floor(Math.random() * 1_000_000));

type CampaignResult = { id: string; title: string; ok: boolean; line: string; failures: string[] };
let suite: Promise<{ run: Run; results: CampaignResult[] }> | null = null;

function quickSuite() {
  suite ??= run(script, ['--quick', '--json', '--seed', seed, '--only', CAMPAIGNS.join(',')]).then((r) => {
    const line = r.stdout.split('\n').find((l) => l.startsWith('RESULTS '));
    return { run: r, results: line ? (JSON.parse(line.slice('RESULTS '.length)) as { results: CampaignResult[] }).results : [] };
  });
  return suite;
}

for (const id of CAMPAIGNS) {
  test(`reliability (quick, seed ${seed}): ${id}`, async () => {
    const { run: r, results } = await quickSuite();
    const result = results.find((c) => c.id === id);
    assert.ok(result, `no result for ${id}; the suite exited ${r.code}:\n${r.stderr.slice(-3000)}`);
    const replay = `node test/reliability/run.mjs --quick --seed ${seed} --only ${id}`;
    assert.ok(result.ok, `${result.title} failed (replay: ${replay}):\n  - ${result.failures.join('\n  - ')}`);
    console.log(`  ${result.title}: ${result.line}`);
  });
}

/** Runs `node SCRIPT ARGS…`, killed after `ms`; says whether it had to be killed. */
async function runWithin(ms: number, scriptPath: string, args: string[]) {
  const proc = start(scriptPath, args);
  let killed = false;
  const timer = setTimeout(() => {
    killed = true;
    proc.child.kill('SIGKILL');
  }, ms);
  const result = await proc.done;
  clearTimeout(timer);
  return { ...result, killed };
}

test('regression: a FIFO at the snapshot path no longer hangs a publish; the publish replaces it', async () => {
  const s = scratch();
  try {
    assert.is((await run(ingestorBin, ['migrate', '--db', s.db])).code, 0);
    for (const [what, bin, args] of [
      ['mbcap-server publish', serverBin, ['publish', '--db', s.db]],
      ['writeSnapshot', fixture('publisher.mjs'), ['--db', s.db, '--count', '1', '--entries', '10']],
    ] as const) {
      mkdirSync(s.queue, { recursive: true });
      execFileSync('rm', ['-f', s.file]);
      execFileSync('mkfifo', [s.file]);
      const r = await runWithin(10_000, bin, [...args]);
      assert.not.ok(r.killed, `${what} hung on a FIFO (it opened it blocking to read the seq)`);
      assert.is(r.code, 0, `${what}: ${r.stderr}`);
      const read = await readSnapshot(s.db);
      assert.ok(read.snapshot.seq !== null, `${what} left a readable snapshot`);
    }
  } finally {
    s.cleanup();
  }
});

test('regression: a unix socket at the snapshot path is NOT_REGULAR_FILE for apply, status and run', async () => {
  const s = scratch();
  let socket: Server | null = null;
  try {
    assert.is((await run(ingestorBin, ['migrate', '--db', s.db])).code, 0);
    mkdirSync(s.queue, { recursive: true });
    socket = createServer();
    await new Promise<void>((resolve) => socket!.listen(s.file, resolve));

    const applied = await runWithin(20_000, ingestorBin, ['apply', '--db', s.db, '--json']);
    assert.is(applied.code, 0, `apply exits 0 for every outcome: ${applied.stderr}`);
    const outcome = JSON.parse(applied.stdout) as { status: string; code: string };
    assert.equal([outcome.status, outcome.code], ['malformed', 'NOT_REGULAR_FILE']);

    const status = await runWithin(20_000, ingestorBin, ['status', '--db', s.db, '--json']);
    assert.is(status.code, 0, status.stderr);
    assert.is((JSON.parse(status.stdout) as { snapshot: { code: string } }).snapshot.code, 'NOT_REGULAR_FILE');

    const ingestor = start(ingestorBin, ['run', '--db', s.db, '--cron', '0 0 1 1 *']);
    let log = '';
    ingestor.child.stderr!.on('data', (c) => (log += c));
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline && !/snapshot refused: not a regular file \(NOT_REGULAR_FILE/.test(log)) await new Promise((r) => setTimeout(r, 20));
    ingestor.child.kill('SIGTERM');
    const stopped = await ingestor.done;
    assert.match(log, /snapshot refused: not a regular file \(NOT_REGULAR_FILE: .* is a socket or a device, not a snapshot file; remove it\)/);
    assert.not.match(log, / error /, 'logged once as a refusal, not retried as a read error');
    assert.is(stopped.code, 0);
  } finally {
    socket?.close();
    s.cleanup();
  }
});

test.run();
