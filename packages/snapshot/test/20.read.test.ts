import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { SNAPSHOT_ERROR_CODES, SnapshotError, type SnapshotErrorCode } from '@mbcap/handoff';
import { readSnapshot, writeSnapshot } from '../src/index.js';
import { key, scratch } from './helpers.js';

const good = [
  { public_key: key(1), status: 'confirmed' as const, evidence: 'advert' as const },
  { public_key: key(2), status: 'suspected' as const, evidence: 'path' as const },
];

async function refusal(db: string, options = {}): Promise<SnapshotError> {
  try {
    await readSnapshot(db, options);
  } catch (error) {
    assert.instance(error, SnapshotError);
    return error as SnapshotError;
  }
  throw new assert.Assertion({ message: 'the file was accepted', generated: false, operator: 'throws', expects: 'SnapshotError', actual: 'ok' });
}

// Each code, produced by a real bad file on disk. The message must name the file.
const seen = new Set<SnapshotErrorCode>();
function expectCode(error: SnapshotError, code: SnapshotErrorCode, message: RegExp) {
  assert.is(error.code, code, error.message);
  assert.match(error.message, message);
  assert.ok(error.message.includes(error.path), 'the message names the file');
  seen.add(code);
}

test('NOT_FOUND: no snapshot yet', async () => {
  const s = scratch();
  try {
    expectCode(await refusal(s.db), 'NOT_FOUND', /no snapshot .* yet/);
  } finally {
    s.cleanup();
  }
});

test('UNSAFE_DIRECTORY: the handoff directory a link, or writable by everyone', async () => {
  const s = scratch();
  try {
    const elsewhere = `${s.dir}/elsewhere`;
    mkdirSync(elsewhere);
    symlinkSync(elsewhere, s.queue);
    writeFileSync(`${elsewhere}/snapshot.json`, '{"writtenAt":"2026-11-21T23:00:00Z","entries":[]}');
    expectCode(await refusal(s.db), 'UNSAFE_DIRECTORY', /refusing to read .*: .*mbcap-snapshot is a symbolic link, not a directory/);
    execFileSync('rm', [s.queue]);
    mkdirSync(s.queue, { mode: 0o777 });
    execFileSync('chmod', ['0777', s.queue]);
    writeFileSync(s.file, '{"writtenAt":"2026-11-21T23:00:00Z","entries":[]}');
    expectCode(await refusal(s.db), 'UNSAFE_DIRECTORY', /writable by every user of this host/);
    execFileSync('chmod', ['1777', s.queue]);
    assert.is((await readSnapshot(s.db)).snapshot.count, 0, 'sticky, as /tmp: accepted');
  } finally {
    s.cleanup();
  }
});

test('NOT_REGULAR_FILE: a symlink, a directory, a FIFO', async () => {
  const s = scratch();
  try {
    await writeSnapshot(s.db, { entries: good });
    const real = `${s.dir}/real.json`;
    writeFileSync(real, readFileSync(s.file));
    execFileSync('rm', [s.file]);
    symlinkSync(real, s.file);
    expectCode(await refusal(s.db), 'NOT_REGULAR_FILE', /symbolic link/);
    execFileSync('rm', [s.file]);
    mkdirSync(s.file);
    expectCode(await refusal(s.db), 'NOT_REGULAR_FILE', /directory/);
    execFileSync('rmdir', [s.file]);
    execFileSync('mkfifo', [s.file]);
    expectCode(await refusal(s.db), 'NOT_REGULAR_FILE', /FIFO/);
  } finally {
    s.cleanup();
  }
});

test('TOO_LARGE: above the size cap, without reading it', async () => {
  const s = scratch();
  try {
    await writeSnapshot(s.db, { entries: good });
    expectCode(await refusal(s.db, { maxBytes: 100 }), 'TOO_LARGE', /above the 100-byte limit/);
    assert.is((await refusal(s.db, { maxBytes: 100 })).bytes, undefined);
    await readSnapshot(s.db, { maxBytes: -1 }).then(
      () => assert.unreachable('a negative cap was accepted'),
      (error: Error) => assert.match(error.message, /"maxBytes" option/),
    );
  } finally {
    s.cleanup();
  }
});

test('MALFORMED: truncated, empty, not JSON, bad UTF-8; the bytes are kept on the error', async () => {
  const s = scratch();
  try {
    await writeSnapshot(s.db, { entries: good });
    const whole = readFileSync(s.file);
    for (const bytes of [
      whole.subarray(0, whole.length - 40),
      Buffer.alloc(0),
      Buffer.from('not json at all'),
      Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d]),
    ]) {
      writeFileSync(s.file, bytes);
      const error = await refusal(s.db);
      expectCode(error, 'MALFORMED', /malformed snapshot \(.+\)/);
      assert.equal(error.bytes, bytes);
    }
    writeFileSync(s.file, Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d]));
    assert.match((await refusal(s.db)).message, /not valid UTF-8/);
  } finally {
    s.cleanup();
  }
});

test('INVALID_SCHEMA: wrong types, missing fields, not an object, a bad time', async () => {
  const s = scratch();
  try {
    for (const [doc, message] of [
      ['[]', /found an array/],
      ['null', /found null/],
      ['42', /found number/],
      ['{"entries":[]}', /writtenAt/],
      ['{"writtenAt":"2026-11-21T23:00:00Z"}', /entries/],
      ['{"writtenAt":"2026-11-21T23:00:00Z","entries":{}}', /entries/],
      ['{"writtenAt":"2026-11-21 23:00:00","entries":[]}', /RFC 3339/],
      ['{"writtenAt":"2026-02-30T23:00:00Z","entries":[]}', /RFC 3339/],
      ['{"writtenAt":12,"entries":[]}', /writtenAt/],
      ['{"version":1,"seq":-1,"writtenAt":"2026-11-21T23:00:00Z","entries":[]}', /seq/],
    ] as const) {
      mkdirSync(s.queue, { recursive: true });
      writeFileSync(s.file, doc);
      expectCode(await refusal(s.db), 'INVALID_SCHEMA', message);
    }
  } finally {
    s.cleanup();
  }
});

test('UNSUPPORTED_VERSION: a version this reader does not know', async () => {
  const s = scratch();
  try {
    mkdirSync(s.queue, { recursive: true });
    for (const version of ['2', '"1"', '0']) {
      writeFileSync(s.file, `{"version":${version},"writtenAt":"2026-11-21T23:00:00Z","entries":[]}`);
      expectCode(await refusal(s.db), 'UNSUPPORTED_VERSION', /not supported .* upgrade/);
    }
  } finally {
    s.cleanup();
  }
});

test('CHECKSUM_MISMATCH: a flipped byte, or a re-serialised document', async () => {
  const s = scratch();
  try {
    await writeSnapshot(s.db, { entries: good });
    const bytes = readFileSync(s.file);
    const flipped = Buffer.from(bytes);
    const at = flipped.indexOf('suspected');
    flipped.write('confirmed', at);
    writeFileSync(s.file, flipped);
    expectCode(await refusal(s.db), 'CHECKSUM_MISMATCH', /checksum mismatch/);
    writeFileSync(s.file, JSON.stringify(JSON.parse(bytes.toString()), null, 2));
    expectCode(await refusal(s.db), 'CHECKSUM_MISMATCH', /edited or re-serialised/);
  } finally {
    s.cleanup();
  }
});

test('HMAC: the right key accepts; a wrong key, a forged or a missing signature is refused', async () => {
  const s = scratch();
  try {
    await writeSnapshot(s.db, { entries: good }, { hmacKey: 'correct horse' });
    assert.is((await readSnapshot(s.db, { hmacKey: 'correct horse' })).signature, 'verified');
    assert.is((await readSnapshot(s.db, { hmacKey: Buffer.from('correct horse') })).signature, 'verified');
    assert.is((await readSnapshot(s.db)).signature, 'not-checked');
    expectCode(await refusal(s.db, { hmacKey: 'battery staple' }), 'BAD_SIGNATURE', /bad signature/);

    // A forger who changes an entry and recomputes the checksum still lacks the key
    const { createHash } = await import('node:crypto');
    const text = readFileSync(s.file, 'utf8');
    const covered = text.slice(0, text.indexOf(',"checksum"')).replace('suspected', 'confirmed');
    const sum = createHash('sha256').update(covered).digest('hex');
    writeFileSync(s.file, `${covered},"checksum":"sha256:${sum}","signature":"hmac-sha256:${'0'.repeat(64)}"}\n`);
    expectCode(await refusal(s.db, { hmacKey: 'correct horse' }), 'BAD_SIGNATURE', /bad signature/);

    await writeSnapshot(s.db, { entries: good });
    expectCode(await refusal(s.db, { hmacKey: 'correct horse' }), 'UNSIGNED', /unsigned snapshot refused/);
  } finally {
    s.cleanup();
  }
});

test('bad entries are dropped and counted, the rest are kept', async () => {
  const s = scratch();
  try {
    mkdirSync(s.queue, { recursive: true });
    writeFileSync(
      s.file,
      JSON.stringify({
        writtenAt: '2026-11-21T23:00:00Z',
        entries: [
          { public_key: 'aa11', status: 'confirmed', evidence: 'advert' },
          { public_key: 'not hex', status: 'confirmed' },
          { public_key: 'bb22', status: 'maybe' },
          { public_key: 'cc33', status: 'suspected', evidence: 'rumour' },
          'string',
          null,
          { public_key: 'DD44', status: 'unknown', extra: true },
        ],
      }),
    );
    const read = await readSnapshot(s.db);
    assert.equal(read.snapshot.entries, [
      { public_key: 'aa11', status: 'confirmed', evidence: 'advert' },
      { public_key: 'DD44', status: 'unknown' },
    ]);
    assert.is(read.invalid, 5);
    assert.equal(
      read.invalidSamples.map((x) => x.index),
      [1, 2, 3, 4, 5],
    );
    assert.match(read.invalidSamples[0]!.reason, /public_key/);
    assert.match(read.invalidSamples[1]!.reason, /status/);
  } finally {
    s.cleanup();
  }
});

test('every SnapshotError code was produced by a real file above', () => {
  assert.equal([...seen].sort(), [...SNAPSHOT_ERROR_CODES].sort());
});

test.run();
