import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { EntryTable, KeyIndex, hashKey } from '@mbcap/handoff/packed';
import { mbcapCodec, mbcapCode, mbcapParts } from '../src/index.js';
import { key } from './helpers.js';

test('a table holds keys that lie in the file and keys given as strings, in order', () => {
  const file = Buffer.from(`xx${key(1)}yy${key(2)}`);
  const table = new EntryTable(file);
  table.pushSpan(2, 66, mbcapCode('confirmed', 'advert'));
  table.push('AB12', mbcapCode('unknown', undefined));
  table.pushSpan(68, 132, mbcapCode('suspected', 'path'));
  assert.is(table.length, 3);
  assert.equal(
    [0, 1, 2].map((i) => mbcapCodec.entry(table.keyAt(i), table.codeAt(i))),
    [
      { public_key: key(1), status: 'confirmed', evidence: 'advert' },
      { public_key: 'AB12', status: 'unknown' },
      { public_key: key(2), status: 'suspected', evidence: 'path' },
    ],
  );
  assert.ok(table.keyEquals(1, 'AB12'));
  assert.not.ok(table.keyEquals(1, 'ab12'), 'keys match exactly, case included');
  assert.throws(() => table.push('a\u0161', 0), /ASCII/);
});

test('every code says what it encodes', () => {
  for (let code = 0; code < 9; code++) {
    const { status, evidence } = mbcapParts(code);
    assert.is(mbcapCode(status, evidence), code);
  }
});

test('the index finds every key, the strongest entry of a repeated key, and nothing else', () => {
  const table = new EntryTable();
  const n = 5000;
  for (let i = 0; i < n; i++) table.push(key(i), i % 8); // codes 0 to 7
  table.push(key(7), 7); // a repeat of equal rank: the later entry wins
  table.push(key(9), 0); // a weaker repeat: the earlier entry stays
  table.push(key(n + 1), 8); // code 8: ranks 0, left out
  const index = new KeyIndex(table, { rank: (code) => (code < 8 ? 1 + code : 0) });
  assert.is(index.size, n);
  for (let i = 0; i < n; i++) assert.is(index.find(key(i)), i === 7 ? n : i);
  assert.is(table.codeAt(index.find(key(9))), 1);
  assert.is(index.find(key(n + 1)), -1);
  assert.is(index.find(key(n + 2)), -1);
  assert.is(index.find(''), -1);
  let visited = 0;
  index.forEach(() => visited++);
  assert.is(visited, n);
  assert.is(index.structure, 'hashed');
});

test('without a rank, every entry is indexed and the last entry of a key wins', () => {
  const table = new EntryTable();
  table.push('aa', 8);
  table.push('bb', 0);
  table.push('aa', 3);
  const index = new KeyIndex(table);
  assert.is(index.size, 2);
  assert.is(index.find('aa'), 2);
  assert.is(index.find('bb'), 1);
});

/** A caller's rank: confirmed over suspected, then advert over path over none; unknown left out. */
const STRENGTH = [4, 6, 5, 1, 3, 2]; // by code: confirmed none, advert, path; suspected none, advert, path
const strength = (code: number) => STRENGTH[code] ?? 0;

test('a repeated key resolves to its strongest entry, first or last, hashed or sorted', () => {
  const confirmed = mbcapCode('confirmed', 'advert');
  const suspected = mbcapCode('suspected', 'path');
  const confirmedPath = mbcapCode('confirmed', 'path');
  const unknown = mbcapCode('unknown', undefined);
  for (const maxProbe of [undefined, 0]) {
    for (const codes of [
      [confirmed, suspected, unknown],
      [unknown, suspected, confirmed],
      [confirmedPath, confirmed, suspected],
      [suspected, confirmed, confirmedPath],
    ]) {
      const table = new EntryTable();
      for (const code of codes) table.push('ab12', code);
      const index = new KeyIndex(table, { rank: strength, maxProbe });
      assert.is(index.structure, maxProbe === 0 ? 'sorted' : 'hashed');
      assert.equal(
        mbcapParts(table.codeAt(index.find('ab12'))),
        { status: 'confirmed', evidence: 'advert' },
        `${codes.map((c) => JSON.stringify(mbcapParts(c))).join(' then ')}`,
      );
    }
  }
});

// HalfSipHash-1-3 under the key 00 01 … 07, of the bytes 0, 1, … n-1: the test vectors of
// the Linux kernel's hsiphash on 32-bit machines (lib/siphash_kunit.c, test_vectors_hsiphash)
const HSIPHASH_VECTORS = [
  0x5814c896, 0xe7e864ca, 0xbc4b0e30, 0x01539939, 0x7e059ea6, 0x88e3d89b, 0xa0080b65, 0x9d38d9d6, 0x577999b1, 0xc839caed, 0xe4fa32cf, 0x959246ee, 0x6b28096c,
  0x66dd9cd6, 0x16658a7c, 0xd0257b04, 0x8b31d501, 0x2b1cd04b,
];

test('keys hash with HalfSipHash-1-3, the same from a string and from the table', () => {
  const k0 = 0x03020100;
  const k1 = 0x07060504;
  const bytes = Buffer.from(Array.from({ length: HSIPHASH_VECTORS.length }, (_, i) => i));
  const table = new EntryTable(bytes);
  HSIPHASH_VECTORS.forEach((expected, n) => {
    const text = bytes.toString('latin1', 0, n);
    table.pushSpan(0, n, 0);
    table.push(text, 0);
    assert.is(hashKey(text, k0, k1), expected, `hashKey of ${n} bytes`);
    assert.is(table.hashAt(2 * n, k0, k1), expected, `hashAt of ${n} bytes in the file`);
    assert.is(table.hashAt(2 * n + 1, k0, k1), expected, `hashAt of ${n} bytes pushed`);
  });
  assert.is.not(hashKey(key(1), 1, 2), hashKey(key(1), 1, 3), 'the key changes the hash');
});

test('keys compare byte by byte, the same from a string and from the table', () => {
  const keys = ['', '0', '00', '0A', '0a', 'a', 'ab', 'abc', 'b', key(1), key(2)];
  const table = new EntryTable();
  for (const k of keys) table.push(k, 0);
  const sign = (x: number) => Math.sign(x);
  keys.forEach((a, i) =>
    keys.forEach((b, j) => {
      const expected = a < b ? -1 : a > b ? 1 : 0;
      assert.is(sign(table.compareKeys(i, j)), expected, `${a} against ${b}`);
      assert.is(sign(table.compareKey(i, b)), expected, `${a} against the string ${b}`);
    }),
  );
  assert.is(sign(table.compareKey(0, '\u0100')), -1);
  assert.is(sign(table.compareKey(5, 'ab\u0100')), -1);
});

test.run();
