// What an operator sees when something is wrong: an exit code that says what kind of
// failure (2 bad usage, 1 the command failed), one line that says what to do, and never a
// stack trace for a failure we expect.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot, scratch, sleep, start } from './helpers.js';

const INGESTOR = join(repoRoot, 'apps/ingestor/bin/mbcap-ingestor.js');
const SERVER = join(repoRoot, 'apps/server/bin/mbcap-server.js');

type Result = { code: number | null; stdout: string; stderr: string };

function cli(bin: string, args: string[], options: SpawnSyncOptions = {}): Result {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 60_000, cwd: repoRoot, ...options });
  return { code: r.status, stdout: String(r.stdout), stderr: String(r.stderr) };
}
const ingestor = (...args: string[]) => cli(INGESTOR, args);
const server = (...args: string[]) => cli(SERVER, args);

/** The exit code, one message matching `pattern`, and no line of a stack trace. */
function fails(r: Result, code: number, pattern: RegExp) {
  assert.is(r.code, code, `exit ${r.code}, stderr: ${r.stderr}`);
  assert.match(r.stderr, pattern);
  assert.not.match(r.stderr, /^\s+at /m, `a stack trace: ${r.stderr}`);
}

const USAGE_HINT = /Run mbcap-(server|ingestor) --help/;

// Root reads and writes anywhere. To see what an operator without those rights sees, root
// runs the command without the capabilities that let it ignore file modes (setpriv, from
// util-linux): it still reaches the code wherever the checkout lies, as another user might not.
const isRoot = process.getuid?.() === 0;
const DROP_DAC = ['--bounding-set=-dac_override,-dac_read_search', '--inh-caps=-dac_override,-dac_read_search'];

/** `bin ARGS` as a user bound by file modes; null (with a line saying so) when that cannot be arranged. */
function limited(bin: string, args: string[]): Result | null {
  if (!isRoot) return cli(bin, args);
  const r = spawnSync('setpriv', [...DROP_DAC, process.execPath, bin, ...args], { encoding: 'utf8', timeout: 60_000, cwd: repoRoot });
  if (r.error || /^setpriv: /m.test(String(r.stderr))) {
    console.log(`  (skipped: root cannot drop its file-mode capabilities here: ${r.error?.message ?? String(r.stderr).trim()})`);
    return null;
  }
  return { code: r.status, stdout: String(r.stdout), stderr: String(r.stderr) };
}

function migrated() {
  const s = scratch('mbcap-messages-');
  const r = ingestor('migrate', '--db', s.db);
  if (r.code !== 0) throw new Error(`migrate failed: ${r.stderr}`);
  return s;
}

test('migrate into a directory that does not exist: exit 1, says so and how to make it', () => {
  const s = scratch('mbcap-messages-');
  try {
    const db = join(s.dir, 'nowhere', 'mesh.db');
    const r = ingestor('migrate', '--db', db);
    fails(r, 1, /the directory .*nowhere does not exist/);
    assert.match(r.stderr, /install -d /);
  } finally {
    s.cleanup();
  }
});

test('migrate --db naming a directory: exit 1, asks for the file inside it', () => {
  const s = scratch('mbcap-messages-');
  try {
    const r = ingestor('migrate', '--db', s.dir);
    fails(r, 1, /is a directory, not a database file/);
    assert.match(r.stderr, new RegExp(`--db ${join(s.dir, 'mesh.db').replaceAll('/', '\\/')}`));
  } finally {
    s.cleanup();
  }
});

test('migrate --db naming a file that is not SQLite: exit 1, the file untouched', () => {
  const s = scratch('mbcap-messages-');
  try {
    const file = join(s.dir, 'notes.txt');
    writeFileSync(file, 'shopping list\n'.repeat(100));
    const r = ingestor('migrate', '--db', file);
    fails(r, 1, /is not a SQLite database/);
    assert.is(readFileSync(file, 'utf8'), 'shopping list\n'.repeat(100));
  } finally {
    s.cleanup();
  }
});

test('migrate into a directory this user cannot write: exit 1, names the user and the directory', () => {
  const s = scratch('mbcap-messages-');
  try {
    chmodSync(s.dir, 0o755);
    const locked = join(s.dir, 'locked');
    mkdirSync(locked, { mode: 0o555 });
    chmodSync(locked, 0o555);
    const r = limited(INGESTOR, ['migrate', '--db', join(locked, 'mesh.db')]);
    if (r) fails(r, 1, /cannot create .*locked\/mesh\.db: this user \(uid \d+\) may not write to the directory .*locked/);
  } finally {
    s.cleanup();
  }
});

test('the read-only server where the database directory is not writable: the SQLite wording explained', () => {
  const s = migrated();
  try {
    // No -shm beside the database (no writer has it open) and no right to create one
    chmodSync(s.dir, 0o555);
    chmodSync(s.db, 0o644);
    const r = limited(SERVER, ['publish', '--db', s.db]);
    if (r) {
      fails(r, 1, /attempt to write a readonly database/);
      assert.match(r.stderr, /mesh\.db-shm/);
      assert.match(r.stderr, /the directory .* must be writable by this user \(uid \d+\)/);
    }
  } finally {
    chmodSync(s.dir, 0o755);
    s.cleanup();
  }
});

test('a key file this user may not read: exit 2, says who and how to let it read', () => {
  const s = migrated();
  try {
    chmodSync(s.dir, 0o755);
    const key = join(s.dir, 'hmac.key');
    writeFileSync(key, 'k'.repeat(44));
    chmodSync(key, 0o600);
    chmodSync(s.db, 0o644);
    // A file of mode 000: nobody bound by file modes reads it, its owner included
    chmodSync(key, 0o000);
    const r = limited(INGESTOR, ['apply', '--db', s.db, '--hmac-key-file', key]);
    if (r) {
      fails(r, 2, /cannot read the HMAC key file .*hmac\.key: EACCES.*this user \(uid \d+\) may not read it/);
      assert.match(r.stderr, new RegExp(`chgrp mesh ${key}; chmod 640 ${key}`));
    }
  } finally {
    s.cleanup();
  }
});

test('--db with no value: exit 2 with a hint, both programs', () => {
  fails(ingestor('migrate', '--db'), 2, /--db needs a value/);
  fails(ingestor('migrate', '--db'), 2, USAGE_HINT);
  fails(server('publish', '--db'), 2, /--db needs a value/);
  fails(server('run', '--db'), 2, USAGE_HINT);
  fails(server('publish', '--db', ''), 2, /--db needs a value, got an empty one/);
  fails(ingestor('apply', '--db='), 2, /--db needs a value/);
});

test('--db given twice: exit 2, names both values', () => {
  const r = ingestor('migrate', '--db', 'a.db', '--db', 'b.db');
  fails(r, 2, /--db was given 2 times \(a\.db, b\.db\); give it once/);
  assert.match(r.stderr, USAGE_HINT);
  fails(server('publish', '--db', 'a.db', '--db', 'b.db'), 2, /--db was given 2 times/);
  fails(server('explain', '--db', 'a.db', '--db', 'b.db', 'abcd'), 2, /--db was given 2 times/);
});

test('a number option given something else echoes what was typed', () => {
  const r = server('run', '--db', 'x.db', '--port', 'abc');
  fails(r, 2, /--port.*"abc"/);
  assert.match(r.stderr, USAGE_HINT);
  fails(server('run', '--db', 'x.db', '--port=8o80'), 2, /--port.*"8o80"/);
  fails(server('run', '--db', 'x.db', '--max-connections', 'lots'), 2, /--max-connections.*"lots"/);
  fails(ingestor('apply', '--db', 'x.db', '--max-bytes', '1MB'), 2, /--max-bytes.*"1MB"/);
});

test('a negative window: exit 2, says what a window is', () => {
  const r = server('publish', '--db', 'x.db', '--window', '-5d');
  fails(r, 2, /--window.*"-5d"/);
  assert.match(r.stderr, USAGE_HINT);
  fails(server('explain', '--db', 'x.db', '--window', '-5d', 'abcd'), 2, /--window.*"-5d"/);
  fails(server('run', '--db', 'x.db', '--interval', '-5s'), 2, /--interval.*"-5s"/);
});

test('--version prints the version and exits 0', () => {
  const version = (JSON.parse(readFileSync(join(repoRoot, 'apps/ingestor/package.json'), 'utf8')) as { version: string }).version;
  for (const [bin, name] of [
    [INGESTOR, 'mbcap-ingestor'],
    [SERVER, 'mbcap-server'],
  ] as const) {
    const r = cli(bin, ['--version']);
    assert.is(r.code, 0, r.stderr);
    assert.is(r.stdout.trim(), `${name} ${version}`);
  }
});

async function until(what: string, check: () => boolean, ms = 20_000) {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

test('SIGHUP is logged and survived by both long-running commands; SIGTERM still stops them', async () => {
  const s = migrated();
  try {
    const runs = [
      { name: 'server', p: start(SERVER, ['run', '--db', s.db, '--port', '0']), ready: /serving http/ },
      { name: 'ingestor', p: start(INGESTOR, ['run', '--db', s.db]), ready: /watching / },
    ];
    const logs = runs.map(() => '');
    runs.forEach((r, i) => r.p.child.stderr!.on('data', (chunk) => (logs[i] += chunk)));
    for (const [i, r] of runs.entries()) await until(`${r.name} ready`, () => r.ready.test(logs[i]!));
    for (const r of runs) r.p.child.kill('SIGHUP');
    for (const [i, r] of runs.entries()) await until(`${r.name} to log SIGHUP`, () => /SIGHUP/.test(logs[i]!));
    await sleep(300);
    for (const [i, r] of runs.entries()) {
      assert.is(r.p.child.exitCode, null, `${r.name} exited on SIGHUP: ${logs[i]}`);
      assert.match(logs[i]!, /SIGHUP: nothing to reload/);
      r.p.child.kill('SIGTERM');
      const done = await r.p.done;
      assert.is(done.code, 0, `${r.name}: ${done.stderr}`);
    }
  } finally {
    s.cleanup();
  }
});

test.run();
