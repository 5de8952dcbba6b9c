import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { generateMesh, toJsonLine } from '@mbcap/meshgen';
import { startNode } from '@mbcap/test-utils';
import { eventually, ingestor, migrated, sleep } from './helpers.js';

const bin = fileURLToPath(new URL('../bin/mbcap-ingestor.js', import.meta.url));
const COPIES = 25;
const mesh = generateMesh({ seed: 99, nodes: 40, packets: 2000 });
const TOTAL = mesh.packets.length * COPIES;

/** A big input, cheaply: the mesh's packets again and again, each copy with its own hashes. */
let big: string | null = null;
function bigInput(file: string): void {
  big ??= Array.from({ length: COPIES }, (_, copy) => mesh.packets.map((p) => `${toJsonLine({ ...p, hash: `${copy}-${p.hash}` })}\n`).join('')).join('');
  writeFileSync(file, big);
}

function start(args: string[], stdin: 'ignore' | 'pipe' = 'ignore') {
  const run = startNode([bin, ...args], { stdin });
  return { child: run.child, exited: run.exited, out: () => ({ stdout: run.stdout(), stderr: run.stderr() }) };
}

/** Rows in transmissions, read while the importer may still be writing (WAL lets us). */
function count(db: string): number {
  const conn = new Database(db, { readonly: true, fileMustExist: true });
  try {
    return (conn.prepare('SELECT count(*) AS n FROM transmissions').get() as { n: number }).n;
  } finally {
    conn.close();
  }
}

function integrity(db: string): string {
  const conn = new Database(db);
  try {
    return String(conn.pragma('integrity_check', { simple: true }));
  } finally {
    conn.close();
  }
}

test('SIGKILL mid-way: committed batches stay, the database is intact, a re-run completes it', async () => {
  const s = migrated();
  try {
    const input = join(s.dir, 'big.jsonl');
    bigInput(input);
    const run = start(['import', '--db', s.db, input]);
    assert.ok(await eventually(() => count(s.db) >= 5000, 20_000), 'some batches committed');
    run.child.kill('SIGKILL');
    assert.is((await run.exited).signal, 'SIGKILL');
    const kept = count(s.db);
    assert.ok(kept >= 5000 && kept < TOTAL, `kept ${kept} of ${TOTAL}`);
    assert.is(integrity(s.db), 'ok');

    const again = ingestor('import', '--db', s.db, '--json', input);
    assert.is(again.code, 0, again.stderr);
    const summary = JSON.parse(again.stdout);
    assert.is(summary.duplicates, kept);
    assert.is(summary.stored, TOTAL - kept);
    assert.is(count(s.db), TOTAL);
    assert.is(integrity(s.db), 'ok');
  } finally {
    s.cleanup();
  }
});

test('SIGINT: the batch in progress is committed, the summary printed, exit 130', async () => {
  const s = migrated();
  try {
    const input = join(s.dir, 'big.jsonl');
    bigInput(input);
    const run = start(['import', '--db', s.db, '--json', input]);
    assert.ok(await eventually(() => count(s.db) >= 2000, 20_000), 'some batches committed');
    run.child.kill('SIGINT');
    const { code } = await run.exited;
    const { stdout, stderr } = run.out();
    assert.is(code, 130, stderr);
    const summary = JSON.parse(stdout);
    assert.is(summary.status, 'interrupted');
    assert.match(stderr, /import of .*big\.jsonl stopped \(SIGINT after line \d+\); committed so far: [\d,]+ lines read, [\d,]+ stored/);
    assert.is(count(s.db), summary.stored, 'every line read was committed');
    assert.is(summary.read, summary.stored);
    assert.ok(summary.stored < TOTAL);
    assert.is(integrity(s.db), 'ok');
  } finally {
    s.cleanup();
  }
});

test('stdin that trickles: each line is committed within about 250 ms, while the pipe stays open', async () => {
  const s = migrated();
  try {
    const run = start(['import', '--db', s.db, '-'], 'pipe');
    for (const [i, packet] of mesh.packets.slice(0, 3).entries()) {
      run.child.stdin!.write(`${toJsonLine(packet)}\n`);
      assert.ok(await eventually(() => count(s.db) === i + 1, 2000), `line ${i + 1} committed`);
    }
    await sleep(50);
    run.child.stdin!.end();
    const { code } = await run.exited;
    assert.is(code, 0, run.out().stderr);
    assert.match(run.out().stderr, /imported stdin: 3 lines read, 3 stored/);
  } finally {
    s.cleanup();
  }
});

test.run();
