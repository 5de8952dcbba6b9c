// A changed snapshot must never be taken for the one already handled. On ext4 with 128-byte
// inodes (what mke2fs picks under 512 MB) times are whole seconds and a freed inode number
// is handed out again at once: publish A, then B and C within a second, and C can carry A's
// (device, inode, size, mtime, ctime). This test makes that happen on a real ext4 image and
// checks that both the `apply` command and a consumer see C.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { lstatSync, mkdirSync, writeFileSync, type Stats } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { createSnapshotConsumer, writeSnapshot, type MbcapEntry } from '@mbcap/snapshot';
import { repoRoot, scratch, sleep } from './helpers.js';

const ingestorBin = `${repoRoot}/apps/ingestor/bin/mbcap-ingestor.js`;
const cli = (...args: string[]) => spawnSync(process.execPath, [ingestorBin, ...args], { encoding: 'utf8', timeout: 60_000 });

/** Mounts a fresh 16 MB ext4 image with 128-byte inodes; null (and why) where the machine does not allow it. */
function smallExt4(dir: string): { mountpoint: string; unmount: () => void } | string {
  if (process.getuid?.() !== 0) return 'needs root for a loop mount';
  const image = join(dir, 'small.ext4');
  const mountpoint = join(dir, 'mnt');
  mkdirSync(mountpoint);
  writeFileSync(image, '');
  spawnSync('truncate', ['-s', '16M', image]);
  const made = spawnSync('mkfs.ext4', ['-q', '-F', '-I', '128', image], { encoding: 'utf8' });
  if (made.status !== 0) return `mkfs.ext4 failed: ${made.stderr || made.error}`;
  const mounted = spawnSync('mount', ['-o', 'loop', image, mountpoint], { encoding: 'utf8' });
  if (mounted.status !== 0) return `loop mount refused: ${mounted.stderr.trim()}`;
  return { mountpoint, unmount: () => void spawnSync('umount', ['-l', mountpoint]) };
}

const sameStat = (a: Stats, b: Stats) => a.ino === b.ino && a.size === b.size && a.mtimeMs === b.mtimeMs && a.ctimeMs === b.ctimeMs;

// The same size every time: two entries whose statuses swap
const entries = (first: 'confirmed' | 'suspected'): MbcapEntry[] =>
  first === 'confirmed'
    ? [
        { public_key: 'aa11', status: 'confirmed', evidence: 'advert' },
        { public_key: 'bb22', status: 'suspected', evidence: 'path' },
      ]
    : [
        { public_key: 'aa11', status: 'suspected', evidence: 'path' },
        { public_key: 'bb22', status: 'confirmed', evidence: 'advert' },
      ];

test("a snapshot that reuses the applied one's inode, size and whole-second times is applied, not called unchanged", async () => {
  const s = scratch('mbcap-ext4-');
  const fs = smallExt4(s.dir);
  if (typeof fs === 'string') {
    console.log(`  skipped: ${fs}`);
    s.cleanup();
    return;
  }
  const db = join(fs.mountpoint, 'mesh.db');
  const file = join(fs.mountpoint, 'mbcap-snapshot', 'snapshot.json');
  const handled: number[] = [];
  const consumer = createSnapshotConsumer(db, { watch: false, pollMs: 0, cron: null, handler: (r) => void handled.push(r.snapshot.seq!) });
  try {
    assert.is(cli('migrate', '--db', db).status, 0);
    const conn = new Database(db);
    conn.prepare("INSERT INTO nodes (public_key, name) VALUES ('aa11', 'A'), ('bb22', 'B')").run();
    const rows = () => conn.prepare('SELECT public_key, multibyte_sup FROM nodes ORDER BY public_key').raw().all();
    await consumer.start();

    let reproduced = 0;
    for (let round = 0; round < 40 && reproduced < 2; round++) {
      // Start at the top of a second, so that A, its apply, B and C share one
      await sleep(1000 - (Date.now() % 1000) + 5);
      const a = round % 2 === 0 ? 'confirmed' : 'suspected';
      const c = a === 'confirmed' ? 'suspected' : 'confirmed';
      await writeSnapshot(db, { entries: entries(a) });
      const statA = lstatSync(file);
      await consumer.runNow();
      const appliedA = JSON.parse(cli('apply', '--db', db, '--json').stdout);
      await writeSnapshot(db, { entries: [{ public_key: 'aa11', status: 'unknown' }] });
      const written = await writeSnapshot(db, { entries: entries(c) });
      const statC = lstatSync(file);
      if (!sameStat(statA, statC) || appliedA.status !== 'applied') continue;
      reproduced++;

      // C looks exactly like A to lstat; both readers must still see C
      await consumer.runNow();
      assert.is(handled.at(-1), written.seq, 'the consumer handled C');
      const out = cli('apply', '--db', db, '--json');
      assert.is(JSON.parse(out.stdout).status, 'applied', out.stderr);
      const confirmedByC = c === 'confirmed' ? 'aa11' : 'bb22';
      assert.is(Object.fromEntries(rows() as [string, number][])[confirmedByC], 2, "C's confirmed value is in the database");
      assert.is(conn.prepare('SELECT seq FROM mbcap_ledger ORDER BY id DESC LIMIT 1').pluck().get(), written.seq);
      assert.match(cli('status', '--db', db).stdout, new RegExp(`snapshot seq ${written.seq}: .*; applied at `));
      // And unchanged stays cheap and right: the same file again is unchanged
      assert.is(JSON.parse(cli('apply', '--db', db, '--json').stdout).status, 'unchanged');
    }
    conn.close();
    assert.ok(reproduced > 0, 'inode reuse with equal times was reproduced at least once');
  } finally {
    await consumer.stop();
    fs.unmount();
    s.cleanup();
  }
});

test.run();
