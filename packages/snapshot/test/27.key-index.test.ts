// The key index against its plain reference (a Map), and against keys chosen to collide.
//
// Differential: random tables, new ones every run (the seed is printed on failure; set
// KEY_INDEX_SEED to replay one): keys from a file and pushed as strings, repeated with
// other codes, in other cases, empty, short and long, ranks that leave codes out, plus keys
// that collide in the hash; every index built from them (random hash key, fixed hash key,
// forced to sort, falling back to sorting midway) must give the reference's answer to
// every find() and visit the same entries in forEach().
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createRng } from '@mbcap/meshgen';
import { randomInt } from 'node:crypto';
import { EntryTable, KeyIndex, PlainKeyIndex, DEFAULT_MAX_PROBE, hashKey, type KeyIndexOptions } from '@mbcap/handoff/packed';
import { mbcapCode } from '../src/index.js';
import { collidingKeys } from '../../../bench/lib/flood-keys.mjs';

/** A caller's rank: confirmed over suspected, then advert over path over none; unknown left out. */
const STRENGTH = [4, 6, 5, 1, 3, 2]; // by code: confirmed none, advert, path; suspected none, advert, path
const strength = (code: number) => STRENGTH[code] ?? 0;

const SEED = Number(process.env.KEY_INDEX_SEED ?? randomInt(2 ** 31));

const HEX = '0123456789abcdefABCDEF';
const OTHER = 'gz-_ ~';

/** `count` keys whose hashes under `seed` all fall on slot 0 of a table of `capacity` slots. */
function collidingUnder(seed: readonly [number, number], capacity: number, count: number, tag: string): string[] {
  const keys: string[] = [];
  for (let n = 0; keys.length < count; n++) {
    const key = tag + n.toString(16);
    if ((hashKey(key, seed[0], seed[1]) & (capacity - 1)) === 0) keys.push(key);
  }
  return keys;
}

const OLD_COLLIDING = collidingKeys(250, 'ab');

type Case = { table: EntryTable; keys: string[]; rank: (code: number) => number; seed: readonly [number, number] };

function randomCase(random: () => number, round: number): Case {
  const int = (n: number) => Math.floor(random() * n);
  const randomKey = () => {
    const length = [0, 1, 2, 3, 8, 63, 64, 65, 100][int(9)]!;
    let key = '';
    const alphabet = random() < 0.1 ? HEX + OTHER : HEX;
    for (let i = 0; i < length; i++) key += alphabet[int(alphabet.length)];
    return key;
  };
  const seed: [number, number] = [randomInt(2 ** 32), randomInt(2 ** 32)];
  const pool = Array.from({ length: 1 + int(300) }, randomKey);
  // Some rounds add keys that all collide under this seed, beyond what hashing accepts
  if (round % 5 === 0) pool.push(...collidingUnder(seed, 4096, DEFAULT_MAX_PROBE + 1 + int(20), 'c0'));
  // Some add keys chosen against the old unseeded hash
  if (round % 7 === 0) pool.push(...OLD_COLLIDING.slice(0, 50 + int(200)));
  const swapCase = (key: string) => [...key].map((c) => (c === c.toUpperCase() ? c.toLowerCase() : c.toUpperCase())).join('');
  const keys: string[] = [];
  for (let i = 0, n = int(600); i < n; i++) {
    const base = pool[int(pool.length)]!;
    const r = random();
    keys.push(r < 0.1 ? swapCase(base) : r < 0.15 ? base.toUpperCase() : base);
  }
  // Half of the entries lie in a file, half are pushed as strings
  const file = Buffer.from(keys.join(''), 'latin1');
  const table = new EntryTable(file);
  let at = 0;
  for (const key of keys) {
    const code = int(9);
    if (random() < 0.5) table.pushSpan(at, at + key.length, code);
    else table.push(key, code);
    at += key.length;
  }
  const ranks = Array.from({ length: 256 }, () => (random() < 0.2 ? 0 : int(4)));
  const rank = random() < 0.5 ? strength : (code: number) => ranks[code]!;
  return { table, keys, rank, seed };
}

function queries(c: Case, random: () => number): string[] {
  const out = new Set<string>(['', '0', 'ab', 'é', '\u0100', '\u0100ab', '0'.repeat(64), 'k', '__proto__']);
  for (const key of c.keys) {
    out.add(key);
    out.add(key.toUpperCase());
    out.add(key.toLowerCase());
    out.add(key.slice(1));
    out.add(key.slice(0, -1));
    out.add(`${key}0`);
    out.add(`${key}\u0100`);
  }
  for (let i = 0; i < 50; i++) out.add(Math.floor(random() * 2 ** 32).toString(16));
  return [...out];
}

function visited(index: { forEach(fn: (i: number) => void): void }): number[] {
  const out: number[] = [];
  index.forEach((i) => out.push(i));
  return out.sort((a, b) => a - b);
}

test(`the index gives the reference's answers on random tables (KEY_INDEX_SEED=${SEED})`, () => {
  const random = createRng(SEED).next;
  const sorted: Record<string, number> = {};
  for (let round = 0; round < 250; round++) {
    const c = randomCase(random, round);
    const reference = new PlainKeyIndex(c.table, { rank: c.rank });
    const expectedVisits = visited(reference);
    const variants: [string, KeyIndexOptions][] = [
      ['random hash key', { rank: c.rank }],
      ['fixed hash key', { rank: c.rank, seed: c.seed }],
      ['forced to sort', { rank: c.rank, maxProbe: 0 }],
      ['probes bounded at 2', { rank: c.rank, seed: c.seed, maxProbe: 2 }],
    ];
    for (const [name, options] of variants) {
      const index = new KeyIndex(c.table, options);
      if (index.structure === 'sorted') sorted[name] = (sorted[name] ?? 0) + 1;
      const where = `round ${round}, ${name}, ${index.structure} (replay with KEY_INDEX_SEED=${SEED})`;
      assert.is(index.size, reference.size, `size: ${where}`);
      assert.equal(visited(index), expectedVisits, `forEach: ${where}`);
      for (const q of queries(c, random)) {
        const got = index.find(q);
        const expected = reference.find(q);
        if (got !== expected) assert.unreachable(`find(${JSON.stringify(q)}) gave ${got}, the reference ${expected}: ${where}`);
      }
    }
  }
  // Both structures were exercised, and colliding keys made the default bound give up hashing
  const counts = JSON.stringify(sorted);
  assert.ok(
    (sorted['forced to sort'] ?? 0) > 200 && (sorted['fixed hash key'] ?? 0) > 10 && (sorted['random hash key'] ?? 0) < (sorted['fixed hash key'] ?? 0),
    `rounds sorted: ${counts}`,
  );
});

test('keys that collide under the hash key make the index sort, and it still finds every key', () => {
  const seed = [0x12345678, 0x9abcdef0] as const;
  // One slot: more keys on it than one insertion may probe
  const keys = collidingUnder(seed, 512, DEFAULT_MAX_PROBE + 10, 'aa');
  const table = new EntryTable();
  for (const key of keys) table.push(key, mbcapCode('confirmed', 'advert'));
  const index = new KeyIndex(table, { seed, rank: strength });
  assert.is(index.structure, 'sorted');
  assert.is(index.size, keys.length);
  keys.forEach((key, i) => assert.is(index.find(key), i));
  assert.is(index.find('aa'), -1);
});

test('many small groups of colliding keys go over the probe budget: the index sorts', () => {
  const seed = [7, 11] as const;
  const table = new EntryTable();
  // 32 groups of 20 colliding keys, each shorter than the probe bound, in a table of 4096 slots
  for (let g = 0; g < 32; g++) {
    const slot = g * 128;
    let found = 0;
    for (let n = 0; found < 20; n++) {
      const key = `${g.toString(16).padStart(2, '0')}${n.toString(16)}`;
      if ((hashKey(key, seed[0], seed[1]) & 4095) === slot) {
        table.push(key, 0);
        found++;
      }
    }
  }
  const index = new KeyIndex(table, { seed });
  assert.is(index.structure, 'sorted');
  assert.is(index.size, 32 * 20);
});

test('50,000 keys chosen to collide under the old unseeded hash: hashed, with short probes', () => {
  const keys = collidingKeys(50_000);
  const table = new EntryTable(Buffer.from(keys.join('')));
  keys.forEach((_, i) => table.pushSpan(64 * i, 64 * (i + 1), mbcapCode('confirmed', 'advert')));
  const index = new KeyIndex(table, { rank: strength });
  assert.is(index.structure, 'hashed');
  // At a load of at most 1/4 the longest probe of 50,000 random insertions is about 15
  assert.ok(index.longestProbe < DEFAULT_MAX_PROBE / 2, `longest probe ${index.longestProbe}`);
  assert.is(index.size, keys.length);
  for (let i = 0; i < keys.length; i += 97) assert.is(index.find(keys[i]!), i);
});

test('the probes of random keys stay far below the bound at the largest load', () => {
  // 2^16 keys in 2^18 slots: a load of exactly 1/4, the most the index allows
  const n = 1 << 16;
  const table = new EntryTable();
  for (let i = 0; i < n; i++) table.push(i.toString(16).padStart(64, '0'), 0);
  for (let run = 0; run < 5; run++) {
    const index = new KeyIndex(table);
    assert.is(index.structure, 'hashed');
    assert.ok(index.longestProbe < DEFAULT_MAX_PROBE / 2, `longest probe ${index.longestProbe}`);
  }
});

test('misuse of the options is refused with what was expected', () => {
  const table = new EntryTable();
  table.push('ab', 0);
  assert.throws(() => new KeyIndex(table, { maxProbe: -1 }), /"maxProbe" option/);
  assert.throws(() => new KeyIndex(table, { rank: () => 256 }), /"rank" option/);
  assert.throws(() => new KeyIndex(table, { rank: () => 0.5 }), /"rank" option/);
});

test.run();
