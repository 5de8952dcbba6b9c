import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { isTempName } from '@mbcap/handoff';
import { QUEUE_DIR_NAME, SNAPSHOT_FILE_NAME, mbcapHandoff, queueDir, snapshotPath } from '../src/index.js';
import { scratch } from './helpers.js';

test('the snapshot lives in mbcap-snapshot/ beside the database', () => {
  assert.is(QUEUE_DIR_NAME, 'mbcap-snapshot');
  assert.is(SNAPSHOT_FILE_NAME, 'snapshot.json');
  assert.is(queueDir('/var/lib/mesh/mesh.db'), '/var/lib/mesh/mbcap-snapshot');
  assert.is(snapshotPath('/var/lib/mesh/mesh.db'), '/var/lib/mesh/mbcap-snapshot/snapshot.json');
  assert.is(snapshotPath('data/mesh.db'), join(process.cwd(), 'data', 'mbcap-snapshot', 'snapshot.json'));
});

test('a database path must be given', () => {
  assert.throws(() => queueDir(''), /"dbPath"/);
  assert.throws(() => snapshotPath(undefined as unknown as string), /"dbPath"/);
});

test("the handoff's ensureDir creates the directory and its parents, and is idempotent", async () => {
  const s = scratch();
  try {
    const db = join(s.dir, 'deep', 'er', 'mesh.db');
    const dir = await mbcapHandoff.ensureDir(db);
    assert.is(dir, join(s.dir, 'deep', 'er', 'mbcap-snapshot'));
    assert.ok(statSync(dir).isDirectory());
    assert.is(await mbcapHandoff.ensureDir(db), dir);
    assert.ok(existsSync(dir));
  } finally {
    s.cleanup();
  }
});

test('temp names are never taken for the snapshot', () => {
  assert.ok(isTempName('snapshot.json', '.snapshot.json.1234.0.7.tmp'));
  assert.not.ok(isTempName('snapshot.json', 'snapshot.json'));
  assert.not.ok(isTempName('snapshot.json', 'snapshot.json.tmp'));
  assert.not.ok(isTempName('snapshot.json', '.snapshot.json.x.0.7.tmp'));
});

test.run();
