import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { EntryTable, KeyIndex, mbcapCodec, mbcapCode, mbcapParts } from '../src/index.js';
import { key } from './helpers.js';

test('a table holds keys that lie in the file and keys given as strings, in order', () => {
  const file = Buffer.from(`xx${key(1)}yy${key(2)}`);
  const table = new EntryTable(file);
  table.pushSpan(2, 66, mbcapCode('confirmed', 'advert'));
  table.push('AB12', mbcapCode('unknown', undefined));
  table.pushSpan(68, 132, mbcapCode('suspected', 'path'));
  assert.is(table.length, 3);
  assert.equal([0, 1, 2].map((i) => mbcapCodec.entry(table.keyAt(i), table.codeAt(i))), [
    { public_key: key(1), status: 'confirmed', evidence: 'advert' },
    { public_key: 'AB12', status: 'unknown' },
    { public_key: key(2), status: 'suspected', evidence: 'path' },
  ]);
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

test('the index finds every key, the last entry of a repeated key, and nothing else', () => {
  const table = new EntryTable();
  const n = 5000;
  for (let i = 0; i < n; i++) table.push(key(i), i % 8); // codes 0 to 7
  table.push(key(7), 7); // a repeat: the later entry wins
  table.push(key(n + 1), 8); // code 8: excluded below
  const index = new KeyIndex(table, (code) => code !== 8);
  assert.is(index.size, n);
  for (let i = 0; i < n; i++) assert.is(index.find(key(i)), i === 7 ? n : i);
  assert.is(table.codeAt(index.find(key(7))), 7);
  assert.is(index.find(key(n + 1)), -1);
  assert.is(index.find(key(n + 2)), -1);
  assert.is(index.find(''), -1);
  let visited = 0;
  index.forEach(() => visited++);
  assert.is(visited, n);
});

test.run();
