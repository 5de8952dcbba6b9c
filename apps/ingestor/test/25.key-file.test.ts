import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { writeSnapshot } from '@mbcap/snapshot';
import { assertRefusedKeyFile, keyFile, REFUSED_KEY_FILES, SECRET, type KeyFileCase } from '../../../test/fixtures/key-files.ts';
import { capabilities, eventually, ingestor, ledgerRows, scratch, seedDb, startRun, type Result } from './helpers.js';

// --hmac-key-file: a refused key file is bad configuration (exit 2, one line, nothing
// touched); an accepted one is named at start with its length; the key is never shown.

const ENTRIES = [{ public_key: 'aa11', status: 'confirmed' as const, evidence: 'advert' as const }];
const REFUSED = REFUSED_KEY_FILES;
const assertRefused = (r: Result, c: KeyFileCase, what: string) => assertRefusedKeyFile(r, c, 'mbcap-ingestor', what);

// One database for every refused key file: none of them may change it
const shared = scratch();
test.before(async () => {
  seedDb(shared.db, [{ key: 'aa11' }]);
  await writeSnapshot(shared.db, { entries: ENTRIES }, { hmacKey: SECRET });
});
test.after(() => shared.cleanup());

REFUSED.forEach((c, i) => {
  test(`apply, status and run refuse a key file that is ${c.name}: exit 2, one line, database untouched`, () => {
    const path = join(shared.dir, `hmac-${i}.key`);
    c.make(path);
    assertRefused(ingestor('apply', '--db', shared.db, '--hmac-key-file', path), c, 'apply');
    assertRefused(ingestor('status', '--db', shared.db, '--hmac-key-file', path), c, 'status');
    assertRefused(ingestor('run', '--db', shared.db, '--hmac-key-file', path, '--poll', '100ms'), c, 'run');
    assert.equal(capabilities(shared.db).aa11, [0, null, 'nodes'], 'nothing applied');
    assert.equal(ledgerRows(shared.db), []);
  });
});

test('a 16-byte key file with mode 0600 is accepted and named at start with its length, never its content', async () => {
  const s = scratch();
  try {
    seedDb(s.db, [{ key: 'aa11' }]);
    const path = join(s.dir, 'hmac.key');
    keyFile(`${SECRET}\n`, 0o600)(path);
    await writeSnapshot(s.db, { entries: ENTRIES }, { hmacKey: SECRET });

    const r = ingestor('apply', '--db', s.db, '--hmac-key-file', path);
    assert.is(r.code, 0, r.stderr);
    assert.ok(r.stderr.includes(`info  signatures required: only snapshots signed with HMAC-SHA256 under the 16-byte key in ${path} are accepted\n`), r.stderr);
    assert.not.match(r.stderr, /WARNING/);
    assert.equal(capabilities(s.db).aa11, [2, 'advert', 'nodes']);

    const status = ingestor('status', '--db', s.db, '--hmac-key-file', path);
    assert.is(status.code, 0, status.stderr);
    assert.match(status.stdout, /snapshot seq 1: .* applied at /);
    assert.match(status.stderr, /signatures required: .* 16-byte key in /);

    const json = ingestor('apply', '--db', s.db, '--hmac-key-file', path, '--log-format', 'json', '--force');
    assert.is(json.code, 0, json.stderr);
    const line = json.stderr
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l))
      .find((l) => l.event === 'hmac-key');
    assert.equal(
      { level: line.level, keyFile: line.keyFile, keyBytes: line.keyBytes, signatures: line.signatures },
      { level: 'info', keyFile: path, keyBytes: 16, signatures: 'required' },
    );

    for (const out of [r.stdout, r.stderr, status.stdout, status.stderr, json.stdout, json.stderr])
      assert.not.match(out, /S3cret-Key/, 'the key is never shown');
  } finally {
    s.cleanup();
  }
});

test('a key file every user can read is used, with a loud warning', async () => {
  const s = scratch();
  try {
    seedDb(s.db, [{ key: 'aa11' }]);
    const path = join(s.dir, 'hmac.key');
    keyFile(`${SECRET}\n`, 0o644)(path);
    await writeSnapshot(s.db, { entries: ENTRIES }, { hmacKey: SECRET });
    const r = ingestor('apply', '--db', s.db, '--hmac-key-file', path);
    assert.is(r.code, 0, r.stderr);
    assert.match(
      r.stderr,
      new RegExp(
        `warn  WARNING: the HMAC key file ${path} is readable by every user on this machine \\(mode 0644\\): any of them can sign a snapshot that will be accepted; run chmod o-r ${path}\\n`,
      ),
    );
    assert.equal(capabilities(s.db).aa11, [2, 'advert', 'nodes']);
    assert.not.match(r.stderr, /S3cret-Key/);
  } finally {
    s.cleanup();
  }
});

test('run with a good key file says so at start and applies signed snapshots', async () => {
  const s = scratch();
  seedDb(s.db, [{ key: 'aa11' }]);
  const path = join(s.dir, 'hmac.key');
  keyFile(`${SECRET}\n`, 0o600)(path);
  const run = startRun('--db', s.db, '--hmac-key-file', path, '--poll', '100ms');
  try {
    assert.ok(await eventually(() => /info {2}watching /.test(run.log()), 10_000), run.log());
    assert.match(run.log(), /info {2}signatures required: only snapshots signed with HMAC-SHA256 under the 16-byte key in \S+ are accepted\n/);
    await writeSnapshot(s.db, { entries: ENTRIES }, { hmacKey: SECRET });
    assert.ok(await eventually(() => capabilities(s.db).aa11?.[0] === 2, 5000), run.log());
    run.child.kill('SIGTERM');
    assert.is(await run.exited, 0);
    assert.not.match(run.log(), /S3cret-Key/);
  } finally {
    run.child.kill('SIGKILL');
    s.cleanup();
  }
});

test('--help of apply, run and status states the key file rules', () => {
  for (const command of ['apply', 'run', 'status']) {
    const r = ingestor(command, '--help');
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
