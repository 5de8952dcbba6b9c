import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { crashStates, tornLength, withoutSyncs } from './reliability/lib/crash-states.mjs';
import { parseTrace, type TraceEvent } from './reliability/lib/strace-record.mjs';

// The crash-state explorer's pure part, on small hand-made records in strace's own format
// (-f -y -xx): which states a power cut may leave, by the rules of a journaling filesystem.

const x = (text: string | Buffer) => [...Buffer.from(text)].map((b) => `\\x${b.toString(16).padStart(2, '0')}`).join('');
const fd = (n: number, path: string) => `${n}<${x(path)}>`;
const ROOT = '/r';
const OLD = 'old snapshot';
const NEW = 'the new snapshot, longer than the old one';

/** The durable replace: temp file, write, fsync, rename over the target, fsync the directory, say so. */
function replaceTrace() {
  return [
    `100 openat(AT_FDCWD<${x(ROOT)}>, "${x('/r/q/.s.tmp')}", O_WRONLY|O_CREAT|O_EXCL|O_CLOEXEC, 0666) = ${fd(7, '/r/q/.s.tmp')}`,
    `100 write(${fd(7, '/r/q/.s.tmp')}, "${x(NEW)}", ${NEW.length}) = ${NEW.length}`,
    `101 fsync(${fd(7, '/r/q/.s.tmp')} <unfinished ...>`,
    `100 write(${fd(2, 'pipe:[9]')}, "${x('other thread\n')}", 13) = 13`,
    `101 <... fsync resumed>) = 0`,
    `100 rename("${x('/r/q/.s.tmp')}", "${x('/r/q/s.json')}") = 0`,
    `100 openat(AT_FDCWD<${x(ROOT)}>, "${x('/r/q')}", O_RDONLY|O_CLOEXEC) = ${fd(8, '/r/q')}`,
    `100 fsync(${fd(8, '/r/q')}) = 0`,
    `100 write(${fd(1, 'pipe:[10]')}, "${x('{"seq":2}\n')}", 10) = 10`,
    `100 openat(AT_FDCWD<${x(ROOT)}>, "${x('/usr/lib/x.so')}", O_RDONLY) = ${fd(9, '/usr/lib/x.so')}`,
  ].join('\n');
}
const initial = () => ({ files: new Map([['q/s.json', Buffer.from(OLD)]]), dirs: ['', 'q'] });
const ackPoint = (events: TraceEvent[]) => events.findIndex((e) => e.op === 'output' && e.text.includes('seq')) + 1;

/** What s.json holds in each state, with the point it was cut at. */
function outcomes(events: TraceEvent[]) {
  return [...crashStates(events, initial(), { perPoint: 10_000 })].map((s) => ({ point: s.point, text: s.files.get('q/s.json')?.toString() ?? null }));
}

test('parseTrace: files under the root, in order, halves of interrupted calls joined, outputs apart', () => {
  const events = parseTrace(replaceTrace(), ROOT);
  assert.equal(
    events.map((e) => e.op),
    ['create', 'write', 'output', 'sync', 'rename', 'open', 'sync', 'output'],
  );
  const write = events[1] as Extract<TraceEvent, { op: 'write' }>;
  assert.is(write.path, 'q/.s.tmp');
  assert.is(write.offset, 0);
  assert.is(write.bytes.toString(), NEW);
  assert.equal(events[4], { op: 'rename', from: 'q/.s.tmp', to: 'q/s.json' });
  assert.is((events[7] as Extract<TraceEvent, { op: 'output' }>).text, '{"seq":2}\n');
});

test('parseTrace: write() continues at the descriptor position, pwrite64 at its offset, short writes keep what was written', () => {
  const trace = [
    `5 openat(AT_FDCWD, "${x('/r/db')}", O_RDWR|O_CREAT, 0644) = ${fd(3, '/r/db')}`,
    `5 write(${fd(3, '/r/db')}, "${x('abcd')}", 4) = 4`,
    `5 write(${fd(3, '/r/db')}, "${x('efgh')}", 4) = 2`,
    `5 pwrite64(${fd(3, '/r/db')}, "${x('ZZ')}", 2, 100) = 2`,
    `5 lseek(${fd(3, '/r/db')}, 10, SEEK_SET) = 10`,
    `5 write(${fd(3, '/r/db')}, "${x('k')}", 1) = 1`,
    `5 ftruncate(${fd(3, '/r/db')}, 50) = 0`,
    `5 unlink("${x('/r/db-wal')}") = -1 ENOENT (No such file or directory)`,
  ].join('\n');
  const events = parseTrace(trace, ROOT).filter((e) => e.op === 'write' || e.op === 'truncate');
  assert.equal(
    events.map((e) => (e.op === 'write' ? [e.offset, e.bytes.toString()] : ['truncate', e.size])),
    [
      [0, 'abcd'],
      [4, 'ef'],
      [100, 'ZZ'],
      [10, 'k'],
      ['truncate', 50],
    ],
  );
});

test('a correct durable replace: every state holds the old or the whole new file, and the new one once acknowledged', () => {
  const events = parseTrace(replaceTrace(), ROOT);
  const states = outcomes(events);
  assert.ok(states.length > 8, `${states.length} states`);
  for (const s of states) assert.ok(s.text === OLD || s.text === NEW, `point ${s.point}: ${JSON.stringify(s.text)}`);
  const acked = states.filter((s) => s.point >= ackPoint(events));
  assert.ok(acked.length > 0);
  for (const s of acked) assert.is(s.text, NEW, `after the acknowledgement (point ${s.point})`);
  assert.ok(states.some((s) => s.text === OLD) && states.some((s) => s.text === NEW));
});

test('without the file fsync: states with an empty or torn file under the target name', () => {
  const events = withoutSyncs(parseTrace(replaceTrace(), ROOT), (e) => e.path.endsWith('.tmp'));
  const texts = new Set(outcomes(events).map((s) => s.text));
  assert.ok(texts.has(''), 'an empty snapshot');
  assert.ok(texts.has(NEW.slice(0, tornLength(NEW.length))), 'a torn snapshot');
});

test('without the directory fsync: the acknowledged file may be gone after the cut', () => {
  const events = withoutSyncs(parseTrace(replaceTrace(), ROOT), (e) => e.path === 'q');
  const afterAck = outcomes(events).filter((s) => s.point >= ackPoint(events));
  assert.ok(
    afterAck.some((s) => s.text === OLD),
    'the old file back after the acknowledgement',
  );
  assert.ok(
    afterAck.every((s) => s.text === OLD || s.text === NEW),
    'yet never torn: the data was synced',
  );
});

test('a file written in place: synced pages stay, unsynced ones survive as a prefix, the last possibly torn', () => {
  const page = (c: string) => c.repeat(2048);
  const trace = [
    `5 openat(AT_FDCWD, "${x('/r/db')}", O_RDWR) = ${fd(3, '/r/db')}`,
    `5 pwrite64(${fd(3, '/r/db')}, "${x(page('a'))}", 2048, 0) = 2048`,
    `5 fdatasync(${fd(3, '/r/db')}) = 0`,
    `5 pwrite64(${fd(3, '/r/db')}, "${x(page('b'))}", 2048, 2048) = 2048`,
    `5 pwrite64(${fd(3, '/r/db')}, "${x(page('c'))}", 2048, 4096) = 2048`,
  ].join('\n');
  const events = parseTrace(trace, ROOT);
  const start = { files: new Map([['db', Buffer.alloc(2048, 'z')]]), dirs: [''] };
  const last = [...crashStates(events, start, { perPoint: 1000 })].filter((s) => s.point === events.length).map((s) => s.files.get('db')!.toString());
  assert.equal(
    new Set(last),
    new Set([page('a'), page('a') + 'b'.repeat(1024), page('a') + page('b'), page('a') + page('b') + 'c'.repeat(1024), page('a') + page('b') + page('c')]),
  );
});

test('a record that writes a file nobody opened is refused, not guessed', () => {
  const events = parseTrace(`5 write(${fd(4, '/r/ghost')}, "${x('x')}", 1) = 1`, ROOT);
  assert.throws(() => [...crashStates(events, { files: new Map(), dirs: [''] })], /no earlier event opened/);
});

test('a record whose buffers strace cut short is refused', () => {
  const trace = `5 write(${fd(3, '/r/db')}, "${x('abcd')}"..., 10) = 10`;
  assert.throws(() => parseTrace(trace, ROOT), /kept 4 of the 10 bytes written to \/r\/db; record with a larger -s/);
});

test('many combinations: the extremes and a bounded random sample, never more than asked', () => {
  const lines = [`5 openat(AT_FDCWD, "${x('/r/a')}", O_RDWR) = ${fd(3, '/r/a')}`, `5 openat(AT_FDCWD, "${x('/r/b')}", O_RDWR) = ${fd(4, '/r/b')}`];
  for (let i = 0; i < 20; i++) lines.push(`5 pwrite64(${fd(3 + (i % 2), i % 2 ? '/r/b' : '/r/a')}, "${x('y')}", 1, ${i}) = 1`);
  const events = parseTrace(lines.join('\n'), ROOT);
  const start = {
    files: new Map([
      ['a', Buffer.alloc(0)],
      ['b', Buffer.alloc(0)],
    ]),
    dirs: [''],
  };
  const atEnd = [...crashStates(events, start, { perPoint: 12, random: () => 0.5 })].filter((s) => s.point === events.length);
  assert.ok(atEnd.length >= 2 && atEnd.length <= 12, `${atEnd.length}`);
  assert.ok(
    atEnd.some((s) => s.files.get('a')!.length === 0 && s.files.get('b')!.length === 0),
    'only the synced state',
  );
  assert.ok(
    atEnd.some((s) => s.files.get('a')!.length === 19 && s.files.get('b')!.length === 20),
    'everything written',
  );
});

test.run();
