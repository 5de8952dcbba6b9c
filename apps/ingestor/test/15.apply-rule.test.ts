// The apply rule, as the README states it, against apply-rule.ts: pure functions, no disk.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import Database from 'better-sqlite3';
import { mbcapCode, type MultibyteEvidence, type MultibyteStatus } from '@mbcap/snapshot';
import { aheadOfClock, CURRENT, entryRank, isStale, KEPT_HIGHER, ROW_STATE_SQL, rowState, verdict, WRITE, WRITES } from '../src/apply-rule.ts';

test('of a key given more than once: confirmed over suspected, then advert over path over none; unknown is never written', () => {
  const strongestFirst: [MultibyteStatus, MultibyteEvidence | undefined][] = [
    ['confirmed', 'advert'],
    ['confirmed', 'path'],
    ['confirmed', undefined],
    ['suspected', 'advert'],
    ['suspected', 'path'],
    ['suspected', undefined],
  ];
  const ranks = strongestFirst.map(([status, evidence]) => entryRank(mbcapCode(status, evidence)));
  for (let i = 1; i < ranks.length; i++) assert.ok(ranks[i - 1]! > ranks[i]!, `${strongestFirst[i - 1]} ranks above ${strongestFirst[i]}`);
  assert.ok(ranks[ranks.length - 1]! > 0);
  for (const evidence of [undefined, 'advert', 'path'] as const) {
    assert.is(entryRank(mbcapCode('unknown', evidence)), 0);
    assert.is(WRITES[mbcapCode('unknown', evidence)], null);
  }
  for (let code = 9; code < 256; code++) assert.is(entryRank(code), 0, `code ${code} means nothing`);
  assert.equal(WRITES[mbcapCode('confirmed', 'advert')], { sup: 2, evidence: 'advert' });
  assert.equal(WRITES[mbcapCode('suspected', undefined)], { sup: 1, evidence: null });
});

test('a stored value only rises: the table of what an entry does to a row', () => {
  const confirmedAdvert = mbcapCode('confirmed', 'advert');
  const suspectedPath = mbcapCode('suspected', 'path');
  const cases: [number | null, string | null, number, number][] = [
    [null, null, suspectedPath, WRITE], // NULL: below unknown
    [0, null, suspectedPath, WRITE], // lower
    [0, 'weird', suspectedPath, WRITE],
    [1, 'path', suspectedPath, CURRENT], // the same
    [1, null, suspectedPath, WRITE], // equal sup, other evidence
    [1, 'weird', suspectedPath, WRITE],
    [2, 'advert', suspectedPath, KEPT_HIGHER], // suspected never replaces confirmed
    [2, null, suspectedPath, KEPT_HIGHER],
    [2, 'path', confirmedAdvert, WRITE],
    [2, 'advert', confirmedAdvert, CURRENT],
    [1, 'advert', confirmedAdvert, WRITE],
  ];
  for (const [sup, evidence, code, want] of cases) assert.is(verdict(rowState(sup, evidence), code), want, `${sup}/${evidence} ← code ${code}`);
});

test('SQLite computes the state of a row as the rule does', () => {
  const db = new Database(':memory:');
  try {
    const state = db.prepare(`SELECT ${ROW_STATE_SQL} FROM (SELECT ? AS multibyte_sup, ? AS multibyte_evidence)`).pluck();
    for (const sup of [null, 0, 1, 2]) {
      for (const evidence of [null, 'advert', 'path', 'weird']) assert.is(state.get(sup, evidence), rowState(sup, evidence), `${sup}/${evidence}`);
    }
  } finally {
    db.close();
  }
});

test('a snapshot against the last applied one: by seq, or by writtenAt when either has none', () => {
  const last = { seq: 10, written_at_ms: 1000 };
  assert.is(isStale({ seq: 11, writtenAtMs: 500 }, last), false, 'a higher seq: applied, whatever its clock');
  assert.is(isStale({ seq: 3, writtenAtMs: 1001 }, last), false, 'numbering started again, written later: applied');
  assert.is(isStale({ seq: 10, writtenAtMs: 1000 }, last), true, 'the same seq and time: stale');
  assert.is(isStale({ seq: 9, writtenAtMs: 999 }, last), true, 'an old file restored');
  assert.is(isStale({ seq: null, writtenAtMs: 1000 }, last), false, 'the Go writer, the same time: applied');
  assert.is(isStale({ seq: null, writtenAtMs: 999 }, { seq: null, written_at_ms: 1000 }), true, 'the Go writer, earlier: stale');
  assert.is(aheadOfClock({ seq: 1, writtenAtMs: 10_000 }, 0, 10_000), null, 'exactly at the limit: accepted');
  assert.is(aheadOfClock({ seq: 1, writtenAtMs: 10_001 }, 0, 10_000), 10_001);
});

test.run();
