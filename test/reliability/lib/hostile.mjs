// Hostile snapshot files: every kind of bad (or odd but acceptable) thing that can sit at
// mbcap-snapshot/snapshot.json, and what the ingestor must make of it.
//
// A kind: { name, expect, make(c) } where `expect` is
//   { outcome: 'rejected', code }   logged as `snapshot refused: <kind> (CODE: …)`, rows untouched
//   { outcome: 'applied' }          applied; the rows change exactly by `effective` entries
//   { outcome: 'stale' }            logged as stale, rows untouched
//   { outcome: 'silent' }           nothing to apply (no outcome line), rows untouched
// and make(c) resolves { bytes } (placed by an atomic rename), or { place(path) } for what
// is not a plain file (place(temp, path) makes it at a temp path, then it is renamed into
// place; with `at: 'path'`, place(path) makes it at the path itself), with optional `effective` (the entries that must land) and
// `cleanup(path)` (what an operator would remove before the next publish).
import { createHash, createHmac } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { closeSync, linkSync, mkdirSync, openSync, renameSync, rmSync, symlinkSync, truncateSync, writeFileSync, writeSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';

const json = (value) => Buffer.from(JSON.stringify(value), 'utf8');
const iso = (ms) => new Date(ms).toISOString();
const sha256 = (bytes) => createHash('sha256').update(bytes).digest('hex');

/** A document with a trailer computed here (what an attacker who knows the format can do). */
function withTrailer(covered, key) {
  let text = `,"checksum":"sha256:${sha256(covered)}"`;
  if (key) text += `,"signature":"hmac-sha256:${createHmac('sha256', key).update(covered).digest('hex')}"`;
  return Buffer.concat([covered, Buffer.from(`${text}}\n`)]);
}

/** Replaces the first `from` in the bytes (latin1, so any byte survives). */
/** `bytes` with the first `from` replaced by `to`; throws when there is none (nothing altered). */
function swap(bytes, from, to) {
  const text = bytes.toString('latin1');
  if (!text.includes(from)) throw new Error(`nothing to alter: no ${from} in the file`);
  return Buffer.from(text.replace(from, to), 'latin1');
}

/** 20 suspected entries whatever the rows hold: something to alter in a file that is refused before any row is looked at. */
const suspected = (c) => c.someKeys(20).map((public_key) => ({ public_key, status: 'suspected', evidence: 'path' }));

/** Kinds for an ingestor without a key. `c` is the context of hostile-files.mjs. */
export function plainKinds() {
  const rejected = (code) => ({ outcome: 'rejected', code });
  const APPLIED = { outcome: 'applied' };
  const go = (c, entries, extra = {}) => ({ writtenAt: iso(c.now()), entries, ...extra });
  return [
    // Truncated, empty, not JSON
    { name: 'empty file', expect: rejected('MALFORMED'), make: async () => ({ bytes: Buffer.alloc(0) }) },
    { name: 'whitespace only', expect: rejected('MALFORMED'), make: async () => ({ bytes: Buffer.from(' \n\t\r\n  ') }) },
    {
      name: 'truncated to half',
      expect: rejected('MALFORMED'),
      make: async (c) => {
        const b = await c.good(c.changes(50));
        return { bytes: b.subarray(0, b.length >> 1) };
      },
    },
    {
      name: 'truncated by 2 bytes',
      expect: rejected('MALFORMED'),
      make: async (c) => {
        const b = await c.good(c.changes(50));
        return { bytes: b.subarray(0, b.length - 2) };
      },
    },
    { name: 'truncated to 1 byte', expect: rejected('MALFORMED'), make: async () => ({ bytes: Buffer.from('{') }) },
    { name: 'plain text', expect: rejected('MALFORMED'), make: async () => ({ bytes: Buffer.from('this is not a snapshot\n') }) },
    { name: 'random binary', expect: rejected('MALFORMED'), make: async (c) => ({ bytes: Buffer.from(c.rng.hex(4096), 'hex') }) },
    { name: 'NUL bytes', expect: rejected('MALFORMED'), make: async () => ({ bytes: Buffer.alloc(4096) }) },
    { name: 'JSON with comments', expect: rejected('MALFORMED'), make: async (c) => ({ bytes: Buffer.from(`// snapshot\n${JSON.stringify(go(c, []))}`) }) },
    {
      name: 'NaN literal',
      expect: rejected('MALFORMED'),
      make: async (c) => ({ bytes: Buffer.from(`{"seq":NaN,"writtenAt":"${iso(c.now())}","entries":[]}`) }),
    },
    { name: 'two documents', expect: rejected('MALFORMED'), make: async (c) => ({ bytes: Buffer.concat([json(go(c, [])), json(go(c, []))]) }) },
    {
      name: 'trailing garbage',
      expect: rejected('MALFORMED'),
      make: async (c) => ({ bytes: Buffer.concat([await c.good(c.changes(20)), Buffer.from('garbage')]) }),
    },
    { name: 'unbalanced deep nesting', expect: rejected('MALFORMED'), make: async () => ({ bytes: Buffer.from('['.repeat(100_000)) }) },
    { name: 'large garbage (32 MiB)', expect: rejected('MALFORMED'), make: async () => ({ bytes: Buffer.alloc(32 * 1024 * 1024, 'x') }) },
    {
      name: 'huge sparse file (300 MiB)',
      expect: rejected('TOO_LARGE'),
      make: async () => ({
        place: (path) => {
          writeFileSync(path, '');
          truncateSync(path, 300 * 1024 * 1024);
        },
      }),
    },
    { name: 'truncated in place', expect: rejected('MALFORMED'), make: async () => ({ at: 'path', place: (path) => truncateSync(path, 0) }) },

    // Wrong types and shapes
    { name: 'JSON array', expect: rejected('INVALID_SCHEMA'), make: async () => ({ bytes: Buffer.from('[]') }) },
    { name: 'JSON null', expect: rejected('INVALID_SCHEMA'), make: async () => ({ bytes: Buffer.from('null') }) },
    { name: 'JSON string', expect: rejected('INVALID_SCHEMA'), make: async () => ({ bytes: Buffer.from('"snapshot"') }) },
    { name: 'JSON number', expect: rejected('INVALID_SCHEMA'), make: async () => ({ bytes: Buffer.from('42') }) },
    { name: 'JSON true', expect: rejected('INVALID_SCHEMA'), make: async () => ({ bytes: Buffer.from('true') }) },
    { name: 'empty object', expect: rejected('INVALID_SCHEMA'), make: async () => ({ bytes: Buffer.from('{}') }) },
    { name: 'no entries', expect: rejected('INVALID_SCHEMA'), make: async (c) => ({ bytes: json({ writtenAt: iso(c.now()) }) }) },
    { name: 'no writtenAt', expect: rejected('INVALID_SCHEMA'), make: async (c) => ({ bytes: json({ entries: c.changes(5) }) }) },
    { name: 'writtenAt a number', expect: rejected('INVALID_SCHEMA'), make: async (c) => ({ bytes: json({ writtenAt: c.now(), entries: c.changes(5) }) }) },
    {
      name: 'writtenAt not a time',
      expect: rejected('INVALID_SCHEMA'),
      make: async (c) => ({ bytes: json({ writtenAt: 'yesterday', entries: c.changes(5) }) }),
    },
    {
      name: 'writtenAt impossible date',
      expect: rejected('INVALID_SCHEMA'),
      make: async (c) => ({ bytes: json({ writtenAt: '2026-02-30T12:00:00Z', entries: c.changes(5) }) }),
    },
    {
      name: 'writtenAt without zone',
      expect: rejected('INVALID_SCHEMA'),
      make: async (c) => ({ bytes: json({ writtenAt: iso(c.now()).slice(0, 19), entries: c.changes(5) }) }),
    },
    {
      name: 'entries an object',
      expect: rejected('INVALID_SCHEMA'),
      make: async (c) => ({ bytes: json({ writtenAt: iso(c.now()), entries: { 0: c.changes(1)[0] } }) }),
    },
    { name: 'entries a string', expect: rejected('INVALID_SCHEMA'), make: async (c) => ({ bytes: json({ writtenAt: iso(c.now()), entries: 'all' }) }) },
    { name: 'entries a number', expect: rejected('INVALID_SCHEMA'), make: async (c) => ({ bytes: json({ writtenAt: iso(c.now()), entries: 3 }) }) },
    {
      name: 'seq negative',
      expect: rejected('INVALID_SCHEMA'),
      make: async (c) => ({ bytes: json({ version: 1, seq: -1, writtenAt: iso(c.now()), entries: c.changes(5) }) }),
    },
    {
      name: 'seq a fraction',
      expect: rejected('INVALID_SCHEMA'),
      make: async (c) => ({ bytes: json({ version: 1, seq: 1.5, writtenAt: iso(c.now()), entries: c.changes(5) }) }),
    },
    {
      name: 'seq a string',
      expect: rejected('INVALID_SCHEMA'),
      make: async (c) => ({ bytes: json({ version: 1, seq: '7', writtenAt: iso(c.now()), entries: c.changes(5) }) }),
    },
    {
      name: 'seq 1e400',
      expect: rejected('INVALID_SCHEMA'),
      make: async (c) => ({ bytes: Buffer.from(`{"version":1,"seq":1e400,"writtenAt":"${iso(c.now())}","entries":[]}`) }),
    },
    {
      name: 'deep nesting at the top',
      expect: rejected('INVALID_SCHEMA'),
      make: async () => ({ bytes: Buffer.from('['.repeat(100_000) + ']'.repeat(100_000)) }),
    },

    // Unknown versions
    {
      name: 'version 2',
      expect: rejected('UNSUPPORTED_VERSION'),
      make: async (c) => ({ bytes: json({ version: 2, seq: 1, writtenAt: iso(c.now()), entries: c.changes(5) }) }),
    },
    {
      name: 'version "1" (a string)',
      expect: rejected('UNSUPPORTED_VERSION'),
      make: async (c) => ({ bytes: json({ version: '1', writtenAt: iso(c.now()), entries: c.changes(5) }) }),
    },
    {
      name: 'version 0',
      expect: rejected('UNSUPPORTED_VERSION'),
      make: async (c) => ({ bytes: json({ version: 0, writtenAt: iso(c.now()), entries: c.changes(5) }) }),
    },
    {
      name: 'version 1e9',
      expect: rejected('UNSUPPORTED_VERSION'),
      make: async (c) => ({ bytes: json({ version: 1e9, writtenAt: iso(c.now()), entries: c.changes(5) }) }),
    },

    // Bad UTF-8
    {
      name: 'bad UTF-8 byte 0xFF',
      expect: rejected('MALFORMED'),
      make: async (c) => ({ bytes: swap(json({ writtenAt: iso(c.now()), note: 'AB', entries: c.changes(5) }), 'AB', '\xff\xfe') }),
    },
    {
      name: 'UTF-8 encoded surrogate',
      expect: rejected('MALFORMED'),
      make: async (c) => ({ bytes: swap(json({ writtenAt: iso(c.now()), note: 'AB', entries: c.changes(5) }), 'AB', '\xed\xa0\x80') }),
    },
    {
      name: 'overlong UTF-8',
      expect: rejected('MALFORMED'),
      make: async (c) => ({ bytes: swap(json({ writtenAt: iso(c.now()), note: 'AB', entries: c.changes(5) }), 'AB', '\xc0\xaf') }),
    },
    {
      name: 'UTF-16 with BOM',
      expect: rejected('MALFORMED'),
      make: async (c) => ({ bytes: Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(JSON.stringify(go(c, c.changes(5))), 'utf16le')]) }),
    },
    {
      name: 'UTF-8 cut inside a character',
      expect: rejected('MALFORMED'),
      make: async (c) => {
        const b = json({ writtenAt: iso(c.now()), entries: [], note: 'żółw' });
        return { bytes: b.subarray(0, b.indexOf(Buffer.from('ół')) + 1) };
      },
    },

    // Not a regular file
    {
      name: 'symlink to a good snapshot',
      expect: rejected('NOT_REGULAR_FILE'),
      make: async (c) => {
        const target = join(c.side, 'elsewhere.json');
        writeFileSync(target, await c.good(c.changes(20)));
        return { place: (path) => symlinkSync(target, path) };
      },
    },
    {
      name: 'dangling symlink',
      expect: rejected('NOT_REGULAR_FILE'),
      make: async (c) => ({ place: (path) => symlinkSync(join(c.side, 'does-not-exist'), path) }),
    },
    { name: 'symlink to /dev/zero', expect: rejected('NOT_REGULAR_FILE'), make: async () => ({ place: (path) => symlinkSync('/dev/zero', path) }) },
    { name: 'symlink to the database', expect: rejected('NOT_REGULAR_FILE'), make: async (c) => ({ place: (path) => symlinkSync(c.dbPath, path) }) },
    { name: 'symlink loop', expect: rejected('NOT_REGULAR_FILE'), make: async () => ({ place: (temp, path) => symlinkSync(path, temp) }) },
    {
      name: 'directory',
      expect: rejected('NOT_REGULAR_FILE'),
      make: async () => ({
        at: 'path',
        place: (path) => {
          rmSync(path, { force: true });
          mkdirSync(path);
        },
        cleanup: (path) => rmSync(path, { recursive: true, force: true }),
      }),
    },
    {
      name: 'FIFO',
      expect: rejected('NOT_REGULAR_FILE'),
      make: async () => ({ place: (path) => execFileSync('mkfifo', [path]), cleanup: (path) => rmSync(path, { force: true }) }),
    },
    {
      name: 'unix socket',
      expect: rejected('NOT_REGULAR_FILE'),
      make: async () => {
        let server = null;
        return {
          place: (path) =>
            new Promise((resolve, reject) => {
              server = createServer();
              server.on('error', reject);
              server.listen(path, resolve);
            }),
          cleanup: async (path) => {
            await new Promise((resolve) => server?.close(() => resolve()) ?? resolve());
            rmSync(path, { force: true });
          },
        };
      },
    },
    {
      name: 'character device',
      expect: rejected('NOT_REGULAR_FILE'),
      make: async () => ({ place: (path) => execFileSync('mknod', [path, 'c', '1', '3']), cleanup: (path) => rmSync(path, { force: true }) }),
    },
    { name: 'hard link to the database', expect: rejected('MALFORMED'), make: async (c) => ({ place: (path) => linkSync(c.dbPath, path) }) },

    // Integrity
    {
      name: 'wrong checksum',
      expect: rejected('CHECKSUM_MISMATCH'),
      make: async (c) => {
        const b = await c.good(c.changes(20));
        const at = b.indexOf('"checksum":"sha256:') + 19;
        const out = Buffer.from(b);
        out[at] = out[at] === 0x30 ? 0x31 : 0x30;
        return { bytes: out };
      },
    },
    {
      name: 'body altered after writing',
      expect: rejected('CHECKSUM_MISMATCH'),
      make: async (c) => ({ bytes: swap(await c.good(suspected(c)), '"status":"suspected"', '"status":"confirmed"') }),
    },
    {
      name: 'checksum moved to the front',
      expect: rejected('CHECKSUM_MISMATCH'),
      make: async (c) => {
        const doc = JSON.parse((await c.good(c.changes(20))).toString());
        const { checksum, ...rest } = doc;
        return { bytes: json({ checksum, ...rest }) };
      },
    },
    {
      name: 'checksum not hex',
      expect: rejected('CHECKSUM_MISMATCH'),
      make: async (c) => ({ bytes: json({ writtenAt: iso(c.now()), entries: c.changes(20), checksum: 'sha256:zz' }) }),
    },
    {
      name: 'genuine file with leading spaces',
      expect: rejected('CHECKSUM_MISMATCH'),
      make: async (c) => ({ bytes: Buffer.concat([Buffer.from('   '), await c.good(c.changes(20))]) }),
    },

    // Time
    {
      name: 'far-future writtenAt (+1 year)',
      expect: rejected('FUTURE'),
      make: async (c) => ({ bytes: await c.good(c.changes(20), { writtenAt: iso(c.now() + 365 * 86_400_000) }) }),
    },
    {
      name: 'writtenAt 11 minutes ahead',
      expect: rejected('FUTURE'),
      make: async (c) => ({ bytes: json(go(c, c.changes(20), { writtenAt: iso(c.now() + 11 * 60_000) })) }),
    },
    {
      name: 'writtenAt year 9999',
      expect: rejected('FUTURE'),
      make: async (c) => ({ bytes: json(go(c, c.changes(20), { writtenAt: '9999-12-31T23:59:59.999999999Z' })) }),
    },
    {
      name: 'an hour-old genuine snapshot (replay)',
      expect: { outcome: 'stale' },
      make: async (c) => ({ bytes: await c.good(c.changes(20), { first: true, writtenAt: iso(c.now() - 3_600_000) }) }),
    },
    { name: 'Go zero time', expect: { outcome: 'stale' }, make: async (c) => ({ bytes: json(go(c, c.changes(20), { writtenAt: '0001-01-01T00:00:00Z' })) }) },
    { name: 'the last applied file again (same bytes)', expect: { outcome: 'silent' }, make: async (c) => ({ bytes: c.lastGood() }) },

    // Odd but acceptable: applied, and only the valid entries land
    {
      name: 'Go file: offset and nanoseconds',
      expect: APPLIED,
      make: async (c) => {
        const entries = c.changes(30);
        const t = new Date(c.now() + 2 * 3_600_000).toISOString().slice(0, 23);
        return {
          bytes: json({ writtenAt: `${t}456789+02:00`, entries: entries.map(({ evidence, ...e }) => e) }),
          effective: entries.map(({ evidence, ...e }) => e),
        };
      },
    },
    { name: 'Go file: entries null', expect: APPLIED, make: async (c) => ({ bytes: json(go(c, null)), effective: [] }) },
    {
      name: 'UTF-8 BOM before a Go file',
      expect: APPLIED,
      make: async (c) => {
        const entries = c.changes(10);
        return { bytes: Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), json(go(c, entries))]), effective: entries };
      },
    },
    {
      name: 'mixed good and bad entries',
      expect: { ...APPLIED, invalid: 12 },
      make: async (c) => {
        const good = c.changes(40);
        const [k1, k2, k3] = c.someKeys(3);
        const bad = [
          { public_key: k1, status: 'maybe' },
          { public_key: k1, status: 'CONFIRMED' },
          { public_key: `zz${k2.slice(2)}`, status: 'confirmed' },
          { public_key: `${k2}a`, status: 'confirmed' },
          { public_key: 'a', status: 'confirmed' },
          { public_key: k2, status: 'confirmed', evidence: 'magic' },
          { public_key: Number.parseInt(k3.slice(0, 8), 16), status: 'confirmed' },
          { public_key: k3 },
          null,
          [k3, 'confirmed'],
          "aa'; DROP TABLE nodes;--",
          { public_key: "aa'; DROP TABLE nodes;--", status: 'confirmed' },
        ];
        const entries = [...good];
        bad.forEach((b, i) => entries.splice((i * 7) % entries.length, 0, b));
        return { bytes: json(go(c, entries)), effective: good };
      },
    },
    {
      name: 'entries with extra fields',
      expect: APPLIED,
      make: async (c) => {
        const entries = c.changes(10);
        return {
          bytes: json(
            go(
              c,
              entries.map((e) => ({ ...e, name: 'x', maxHashSize: 2 })),
            ),
          ),
          effective: entries,
        };
      },
    },
    {
      name: 'duplicate envelope keys',
      expect: APPLIED,
      make: async (c) => {
        const first = c.changes(10);
        const last = c.changes(10);
        const t = iso(c.now());
        return {
          bytes: Buffer.from(`{"writtenAt":"${t}","entries":${JSON.stringify(first)},"entries":${JSON.stringify(last)},"version":2,"version":1}`),
          effective: last,
        };
      },
    },
    {
      name: 'duplicate keys inside an entry',
      expect: APPLIED,
      make: async (c) => {
        const [a, b] = c.changes(2, 'confirmed');
        return {
          bytes: Buffer.from(
            `{"writtenAt":"${iso(c.now())}","entries":[{"public_key":"${a.public_key}","status":"unknown","status":"confirmed","evidence":"advert"},{"public_key":"${a.public_key}","public_key":"${b.public_key}","status":"confirmed","evidence":"advert"}]}`,
          ),
          effective: [a, b],
        };
      },
    },
    {
      name: 'one key twice, the strongest wins',
      expect: APPLIED,
      make: async (c) => {
        const [k] = c.someKeys(1);
        const entries = c.rng.shuffle([
          { public_key: k, status: 'confirmed', evidence: 'advert' },
          { public_key: k, status: 'suspected', evidence: 'path' },
        ]);
        return { bytes: json(go(c, entries)), effective: entries };
      },
    },
    {
      name: 'keys not in the database',
      expect: APPLIED,
      make: async (c) => ({
        bytes: json(
          go(
            c,
            Array.from({ length: 50 }, () => ({ public_key: c.rng.hex(32), status: 'confirmed', evidence: 'advert' })),
          ),
        ),
        effective: [],
      }),
    },
    {
      name: 'keys in upper case',
      expect: APPLIED,
      make: async (c) => ({
        bytes: json(
          go(
            c,
            c.changes(20).map((e) => ({ ...e, public_key: e.public_key.toUpperCase() })),
          ),
        ),
        effective: [],
      }),
    },
    {
      name: 'every entry unknown',
      expect: APPLIED,
      make: async (c) => ({
        bytes: json(
          go(
            c,
            c.someKeys(200).map((k) => ({ public_key: k, status: 'unknown' })),
          ),
        ),
        effective: [],
      }),
    },
    {
      name: '300k valid entries, unknown keys',
      expect: APPLIED,
      make: async (c) => ({
        bytes: json(
          go(
            c,
            Array.from({ length: 300_000 }, (_, i) => ({ public_key: i.toString(16).padStart(16, '0'), status: 'suspected', evidence: 'path' })),
          ),
        ),
        effective: [],
      }),
    },
    {
      name: 'deep nesting inside an entry',
      expect: { ...APPLIED, invalid: 1 },
      make: async (c) => {
        const entries = c.changes(10);
        return {
          bytes: Buffer.from(
            `{"writtenAt":"${iso(c.now())}","entries":[${'['.repeat(50_000)}${']'.repeat(50_000)},${entries.map((e) => JSON.stringify(e)).join(',')}]}`,
          ),
          effective: entries,
        };
      },
    },
    {
      name: 'deep nesting in an extra field',
      expect: APPLIED,
      make: async (c) => {
        const entries = c.changes(10);
        return {
          bytes: Buffer.from(`{"writtenAt":"${iso(c.now())}","x":${'{"x":'.repeat(50_000)}1${'}'.repeat(50_000)},"entries":${JSON.stringify(entries)}}`),
          effective: entries,
        };
      },
    },
    {
      name: 'a 32 MiB string field',
      expect: APPLIED,
      make: async (c) => {
        const entries = c.changes(10);
        return { bytes: json(go(c, entries, { padding: 'x'.repeat(32 * 1024 * 1024) })), effective: entries };
      },
    },
    {
      name: '__proto__ and constructor keys',
      expect: APPLIED,
      make: async (c) => {
        const entries = c.changes(10);
        const t = iso(c.now());
        const body = entries.map((e) => `{"__proto__":{"status":"confirmed"},"constructor":{"prototype":{"x":1}},${JSON.stringify(e).slice(1)}`).join(',');
        return { bytes: Buffer.from(`{"__proto__":{"writtenAt":"x"},"writtenAt":"${t}","entries":[${body}]}`), effective: entries };
      },
    },
    {
      name: 'exotic Unicode in an extra field',
      expect: APPLIED,
      make: async (c) => {
        const entries = c.changes(10);
        return { bytes: json(go(c, entries, { note: '\u202e\u0000\ud83d\ude00\ufeff\u2028' })), effective: entries };
      },
    },
    {
      name: 'signed, no key configured',
      expect: APPLIED,
      make: async (c) => {
        const entries = c.changes(10);
        return { bytes: await c.good(entries, { hmacKey: 'someone-else' }), effective: entries };
      },
    },
    {
      name: 'written in place, slowly (not atomic)',
      expect: { outcome: 'applied', transientMalformed: true },
      make: async (c) => {
        const entries = c.changes(30);
        const bytes = await c.good(entries);
        return {
          effective: entries,
          at: 'path',
          place: async (path) => {
            const fd = openSync(path, 'w');
            writeSync(fd, bytes, 0, bytes.length >> 1, 0);
            await new Promise((r) => setTimeout(r, 400));
            writeSync(fd, bytes, bytes.length >> 1, bytes.length - (bytes.length >> 1), bytes.length >> 1);
            closeSync(fd);
          },
        };
      },
    },

    // The directory around the file
    {
      name: 'junk and stale temp files beside it',
      expect: { outcome: 'silent' },
      make: async () => ({
        at: 'path',
        place: (path) => {
          const dir = dirname(path);
          writeFileSync(join(dir, '.snapshot.json.999999.0.1.tmp'), '{"writtenAt":');
          writeFileSync(join(dir, 'snapshot.json.bak'), 'old');
          writeFileSync(join(dir, 'snapshot.json~'), 'older');
          mkdirSync(join(dir, '.snapshot.json.999998.0.1.tmp'), { recursive: true });
          symlinkSync('/dev/zero', join(dir, '.snapshot.json.999997.0.1.tmp'));
        },
        cleanup: (path) => {
          const dir = dirname(path);
          for (const name of ['snapshot.json.bak', 'snapshot.json~', '.snapshot.json.999998.0.1.tmp'])
            rmSync(join(dir, name), { recursive: true, force: true });
        },
      }),
    },
    {
      name: 'rejected/ is a file, then a bad snapshot',
      expect: rejected('MALFORMED'),
      make: async () => ({
        at: 'path',
        place: (path) => {
          rmSync(join(dirname(path), 'rejected'), { recursive: true, force: true });
          writeFileSync(join(dirname(path), 'rejected'), 'in the way');
          writeFileSync(`${path}.part`, '{"writtenAt":');
          renameSync(`${path}.part`, path);
        },
        cleanup: (path) => rmSync(join(dirname(path), 'rejected'), { force: true }),
      }),
    },
    {
      name: 'queue directory removed and made again',
      expect: { outcome: 'silent' },
      make: async () => ({
        at: 'path',
        place: (path) => {
          rmSync(dirname(path), { recursive: true, force: true });
          mkdirSync(dirname(path));
        },
      }),
    },
  ];
}

/** Kinds for an ingestor that requires signatures (--hmac-key-file). */
export function signedKinds() {
  const rejected = (code) => ({ outcome: 'rejected', code });
  return [
    {
      name: 'signed with the key',
      expect: { outcome: 'applied' },
      make: async (c) => {
        const entries = c.changes(20);
        return { bytes: await c.good(entries, { hmacKey: c.key }), effective: entries };
      },
    },
    { name: 'unsigned genuine file', expect: rejected('UNSIGNED'), make: async (c) => ({ bytes: await c.good(c.changes(20)) }) },
    { name: 'Go file, unsigned', expect: rejected('UNSIGNED'), make: async (c) => ({ bytes: json({ writtenAt: iso(c.now()), entries: c.changes(20) }) }) },
    {
      name: 'forged signature',
      expect: rejected('BAD_SIGNATURE'),
      make: async (c) => {
        const b = await c.good(c.changes(20), { hmacKey: c.key });
        return { bytes: Buffer.from(b.toString('latin1').replace(/"hmac-sha256:[0-9a-f]{64}"/, `"hmac-sha256:${c.rng.hex(32)}"`), 'latin1') };
      },
    },
    {
      name: 'signed with another key',
      expect: rejected('BAD_SIGNATURE'),
      make: async (c) => ({ bytes: await c.good(c.changes(20), { hmacKey: 'not-the-key' }) }),
    },
    {
      name: 'altered, checksum recomputed, old signature',
      expect: rejected('BAD_SIGNATURE'),
      make: async (c) => {
        const b = await c.good(suspected(c), { hmacKey: c.key });
        const text = b.toString('latin1');
        const at = text.lastIndexOf(',"checksum"');
        const signature = /"signature":"hmac-sha256:([0-9a-f]{64})"/.exec(text)[1];
        const altered = text.slice(0, at).replace('"status":"suspected"', '"status":"confirmed"');
        if (altered === text.slice(0, at)) throw new Error('nothing to alter in the signed file');
        const covered = Buffer.from(altered, 'latin1');
        return { bytes: Buffer.concat([covered, Buffer.from(`,"checksum":"sha256:${sha256(covered)}","signature":"hmac-sha256:${signature}"}\n`)]) };
      },
    },
    {
      name: 'signature stripped',
      expect: rejected('UNSIGNED'),
      make: async (c) => ({
        bytes: Buffer.from(
          (await c.good(c.changes(20), { hmacKey: c.key })).toString('latin1').replace(/,"signature":"hmac-sha256:[0-9a-f]{64}"/, ''),
          'latin1',
        ),
      }),
    },
    {
      name: 'signature in upper case',
      expect: rejected('UNSIGNED'),
      make: async (c) => ({
        bytes: Buffer.from(
          (await c.good(c.changes(20), { hmacKey: c.key }))
            .toString('latin1')
            .replace(/"hmac-sha256:([0-9a-f]{64})"/, (_m, h) => `"hmac-sha256:${h.toUpperCase()}"`),
          'latin1',
        ),
      }),
    },
    {
      name: 'attacker-made trailer without the key',
      expect: rejected('BAD_SIGNATURE'),
      make: async (c) => ({
        bytes: withTrailer(Buffer.from(JSON.stringify({ version: 1, seq: 1e6, writtenAt: iso(c.now()), entries: c.changes(20) }).slice(0, -1)), 'guessed-key'),
      }),
    },
    {
      name: 'signed, far-future writtenAt',
      expect: rejected('FUTURE'),
      make: async (c) => ({ bytes: await c.good(c.changes(20), { hmacKey: c.key, writtenAt: iso(c.now() + 30 * 86_400_000) }) }),
    },
    {
      name: 'signed hour-old snapshot (replay)',
      expect: { outcome: 'stale' },
      make: async (c) => ({ bytes: await c.good(c.changes(20), { first: true, hmacKey: c.key, writtenAt: iso(c.now() - 3_600_000) }) }),
    },
  ];
}
