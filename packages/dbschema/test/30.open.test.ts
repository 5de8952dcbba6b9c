import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { migrate, openDatabase } from '../src/index.js';
import { tempDir } from './fixtures.js';

// The writer's handle fsyncs the -wal at every commit (synchronous=FULL, 2) unless told
// `normal` (1); better-sqlite3 alone gives WAL databases NORMAL.

test('a handle that writes commits durably by default (synchronous=FULL); normal when asked', () => {
  const t = tempDir();
  try {
    const created = openDatabase(t.dbPath, { create: true });
    migrate(created);
    assert.is(created.pragma('journal_mode', { simple: true }), 'wal');
    assert.is(created.pragma('synchronous', { simple: true }), 2);
    created.close();
    const normal = openDatabase(t.dbPath, { synchronous: 'normal' });
    assert.is(normal.pragma('synchronous', { simple: true }), 1);
    normal.close();
    const plain = t.open();
    assert.is(plain.pragma('synchronous', { simple: true }), 1, 'what better-sqlite3 gives a WAL database by itself');
  } finally {
    t.cleanup();
  }
});

test('an unknown level is refused with the option named', () => {
  const t = tempDir();
  try {
    openDatabase(t.dbPath, { create: true }).close();
    assert.throws(() => openDatabase(t.dbPath, { synchronous: 'off' as never }), /"synchronous" option to be one of full, normal, got "off"/);
  } finally {
    t.cleanup();
  }
});

test.run();
