import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readSnapshot, writeSnapshot } from '../src/index.js';
import { key, scratch } from './helpers.js';

// What the upstream Go `mbcapqueue` writes: json.Marshal of
//   struct{ WrittenAt time.Time `json:"writtenAt"`; Entries []Entry `json:"entries"` }
// with Evidence `json:"evidence,omitempty"`; time.Time marshals as RFC 3339 with up to
// nine fractional digits (trailing zeros trimmed) and the zone of the writer's clock.
const goFiles = {
  utcNanos:
    '{"writtenAt":"2026-11-21T23:00:00.123456789Z","entries":[{"public_key":"aa11","status":"confirmed","evidence":"advert"},{"public_key":"bb22","status":"unknown"}]}',
  offset: '{"writtenAt":"2026-11-22T01:00:00.5+02:00","entries":[{"public_key":"CC33","status":"suspected","evidence":"path"}]}',
  wholeSeconds: '{"writtenAt":"2026-11-21T23:00:00Z","entries":[]}',
  negativeOffset: '{"writtenAt":"2026-11-21T18:30:00.000001-04:30","entries":null}',
};

test('files written by the Go writer load: no version, no seq, no evidence, nanoseconds', async () => {
  const s = scratch();
  try {
    mkdirSync(s.queue, { recursive: true });
    writeFileSync(s.file, goFiles.utcNanos);
    const read = await readSnapshot(s.db);
    assert.is(read.snapshot.version, null);
    assert.is(read.snapshot.seq, null);
    assert.is(read.snapshot.writtenAt, '2026-11-21T23:00:00.123456789Z');
    assert.is(read.snapshot.writtenAtMs, Date.UTC(2026, 10, 21, 23, 0, 0, 123));
    assert.equal(read.snapshot.entries, [
      { public_key: 'aa11', status: 'confirmed', evidence: 'advert' },
      { public_key: 'bb22', status: 'unknown' },
    ]);
    assert.is(read.checksum, 'absent');
    assert.is(read.invalid, 0);
  } finally {
    s.cleanup();
  }
});

test('Go timestamps with numeric offsets are read as the same instant', async () => {
  const s = scratch();
  try {
    mkdirSync(s.queue, { recursive: true });
    writeFileSync(s.file, goFiles.offset);
    assert.is((await readSnapshot(s.db)).snapshot.writtenAtMs, Date.UTC(2026, 10, 21, 23, 0, 0, 500));
    writeFileSync(s.file, goFiles.wholeSeconds);
    assert.is((await readSnapshot(s.db)).snapshot.writtenAtMs, Date.UTC(2026, 10, 21, 23, 0, 0));
    writeFileSync(s.file, goFiles.wholeSeconds.replace('2026-11-21T23:00:00Z', '2026-11-21T18:30:00.000001-04:30'));
    assert.is((await readSnapshot(s.db)).snapshot.writtenAtMs, Date.UTC(2026, 10, 21, 23, 0, 0));
  } finally {
    s.cleanup();
  }
});

test('a Go file whose entries are null (a nil slice) loads as an empty snapshot', async () => {
  const s = scratch();
  try {
    mkdirSync(s.queue, { recursive: true });
    writeFileSync(s.file, goFiles.negativeOffset);
    const read = await readSnapshot(s.db);
    assert.equal(read.snapshot.entries, []);
    assert.is(read.snapshot.writtenAtMs, Date.UTC(2026, 10, 21, 23, 0, 0));
  } finally {
    s.cleanup();
  }
});

test('files we write keep to what the Go reader needs: one object, RFC 3339 writtenAt, the Go field names', async () => {
  const s = scratch();
  try {
    await writeSnapshot(s.db, { entries: [{ public_key: key(7), status: 'suspected', evidence: 'path' }] }, { hmacKey: 'k' });
    const doc = JSON.parse(readFileSync(s.file, 'utf8'));
    // Go's time.Time.UnmarshalJSON takes RFC 3339: date, 'T', time, fraction, 'Z' or offset.
    assert.match(doc.writtenAt, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/);
    assert.equal(doc.entries, [{ public_key: key(7), status: 'suspected', evidence: 'path' }]);
    // The extra fields are plain values the Go decoder skips.
    assert.equal(Object.keys(doc), ['version', 'seq', 'writtenAt', 'entries', 'checksum', 'signature']);
  } finally {
    s.cleanup();
  }
});

// With a Go toolchain (CI installs Debian's golang-go), the real encoding/json decoder
// and encoder check both directions.
const goProgram = fileURLToPath(new URL('./fixtures/go/main.go', import.meta.url));
const goEnv = { ...process.env, GOCACHE: join(tmpdir(), 'mbcap-gocache'), GOPATH: join(tmpdir(), 'mbcap-gopath'), GOFLAGS: '' };
const hasGo = spawnSync('go', ['version'], { env: goEnv }).status === 0;
const go = (...args: string[]) => spawnSync('go', ['run', goProgram, ...args], { env: goEnv, encoding: 'utf8' });

if (hasGo) {
  test('the Go decoder reads a signed snapshot we wrote', async () => {
    const s = scratch();
    try {
      const entries = [
        { public_key: key(1), status: 'confirmed' as const, evidence: 'advert' as const },
        { public_key: 'AB12', status: 'unknown' as const },
      ];
      await writeSnapshot(s.db, { writtenAt: '2026-11-21T23:00:00.123Z', entries }, { hmacKey: 'k' });
      const out = go('read', s.file);
      assert.is(out.status, 0, out.stderr);
      assert.equal(JSON.parse(out.stdout), { writtenAtUnixMilli: Date.UTC(2026, 10, 21, 23, 0, 0, 123), entries });
    } finally {
      s.cleanup();
    }
  });

  test('we read what the Go encoder wrote, in UTC and in other zones', async () => {
    const s = scratch();
    try {
      mkdirSync(s.queue, { recursive: true });
      for (const zoneMinutes of ['0', '120', '-270']) {
        const out = go('write', s.file, zoneMinutes);
        assert.is(out.status, 0, out.stderr);
        const read = await readSnapshot(s.db);
        assert.is(read.snapshot.writtenAtMs, Date.UTC(2026, 10, 21, 23, 0, 0, 123));
        assert.equal(read.snapshot.entries, [
          { public_key: 'aa11', status: 'confirmed', evidence: 'advert' },
          { public_key: 'BB22', status: 'suspected', evidence: 'path' },
          { public_key: 'cc33', status: 'unknown' },
        ]);
      }
    } finally {
      s.cleanup();
    }
  });
} else {
  console.log('note: no Go toolchain on PATH; the checks against the real Go encoder and decoder did not run');
}

test.run();
