import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { readSnapshot } from '@mbcap/snapshot';
import { assertRefusedKeyFile, keyFile, REFUSED_KEY_FILES, SECRET, type KeyFileCase } from '../../../test/fixtures/key-files.ts';
import { advert, keyWith, minutesAgo, scratch, seedDb, server, startServer, type Result } from './helpers.js';

// --hmac-key-file: a refused key file is bad configuration (exit 2, one line, nothing
// published); an accepted one is named at start with its length; the key is never shown.

const A = keyWith('a1b2');
const REFUSED = REFUSED_KEY_FILES;
const assertRefused = (r: Result, c: KeyFileCase, what: string) => assertRefusedKeyFile(r, c, 'mbcap-server', what);

function seed(db: string) {
  seedDb(db, { nodes: [{ key: A }], packets: [{ raw_hex: advert(A, 2), first_seen: minutesAgo(3) }] });
}

for (const c of REFUSED) {
  test(`publish and run refuse a key file that is ${c.name}: exit 2, one line, nothing published`, () => {
    const s = scratch();
    try {
      seed(s.db);
      const path = join(s.dir, 'hmac.key');
      c.make(path);
      assertRefused(server('publish', '--db', s.db, '--hmac-key-file', path), c, 'publish');
      assertRefused(server('run', '--db', s.db, '--port', '0', '--hmac-key-file', path), c, 'run');
      assert.not.ok(existsSync(s.file), 'no snapshot published');
    } finally {
      s.cleanup();
    }
  });
}

test('a 16-byte key file with mode 0600 signs, and is named at start with its length, never its content', async () => {
  const s = scratch();
  try {
    seed(s.db);
    const path = join(s.dir, 'hmac.key');
    keyFile(`${SECRET}\n`, 0o600)(path);
    const r = server('publish', '--db', s.db, '--hmac-key-file', path, '--json');
    assert.is(r.code, 0, r.stderr);
    assert.ok(r.stderr.includes(`info  signatures produced: every snapshot is signed with HMAC-SHA256 under the 16-byte key in ${path}\n`), r.stderr);
    assert.not.match(r.stderr, /WARNING/);
    assert.is((await readSnapshot(s.db, { hmacKey: SECRET })).signature, 'verified');

    const json = server('publish', '--db', s.db, '--hmac-key-file', path, '--log-format', 'json');
    assert.is(json.code, 0, json.stderr);
    const line = json.stderr
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l))
      .find((l) => l.event === 'hmac-key');
    assert.equal(
      { level: line.level, keyFile: line.keyFile, keyBytes: line.keyBytes, signatures: line.signatures },
      { level: 'info', keyFile: path, keyBytes: 16, signatures: 'produced' },
    );

    for (const out of [r.stdout, r.stderr, json.stdout, json.stderr]) assert.not.match(out, /S3cret-Key/, 'the key is never shown');
  } finally {
    s.cleanup();
  }
});

test('a key file every user can read is used, with a loud warning', async () => {
  const s = scratch();
  try {
    seed(s.db);
    const path = join(s.dir, 'hmac.key');
    keyFile(`${SECRET}\n`, 0o644)(path);
    const r = server('publish', '--db', s.db, '--hmac-key-file', path);
    assert.is(r.code, 0, r.stderr);
    assert.match(
      r.stderr,
      new RegExp(
        `warn  WARNING: the HMAC key file ${path} is readable by every user on this machine \\(mode 0644\\): any of them can sign a snapshot that will be accepted; run chmod o-r ${path}\\n`,
      ),
    );
    assert.is((await readSnapshot(s.db, { hmacKey: SECRET })).signature, 'verified');
    assert.not.match(r.stderr, /S3cret-Key/);
  } finally {
    s.cleanup();
  }
});

test('run with a good key file says so at start and publishes signed snapshots', async () => {
  const s = scratch();
  seed(s.db);
  const path = join(s.dir, 'hmac.key');
  keyFile(`${SECRET}\n`, 0o600)(path);
  const run = startServer('--db', s.db, '--port', '0', '--interval', '1s', '--hmac-key-file', path);
  try {
    await run.port();
    assert.match(run.log(), /info {2}signatures produced: every snapshot is signed with HMAC-SHA256 under the 16-byte key in \S+\n/);
    for (let i = 0; i < 250 && !existsSync(s.file); i++) await new Promise((r) => setTimeout(r, 20));
    assert.is((await readSnapshot(s.db, { hmacKey: SECRET })).signature, 'verified');
    run.child.kill('SIGTERM');
    assert.is(await run.exited, 0);
    assert.not.match(run.log(), /S3cret-Key/);
  } finally {
    run.child.kill('SIGKILL');
    s.cleanup();
  }
});

test('--help of publish and run states the key file rules', () => {
  for (const command of ['publish', 'run']) {
    const r = server(command, '--help');
    assert.is(r.code, 0);
    const help = r.stdout.replace(/\s+/g, ' ');
    assert.match(
      help,
      /--hmac-key-file .*a regular file, not writable by group or others, holding 16\+ bytes .*head -c 32 \/dev\/urandom \| base64 > FILE; chmod 600 FILE/,
      command,
    );
  }
});

test.run();
