// The times CoreScope stores as text, read as instants by the importer and the server alike.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseFirstSeen } from '../src/index.js';

test('every shape CoreScope writes parses to the same instant', () => {
  const instant = Date.UTC(2026, 2, 26, 20, 56, 5);
  const shapes = [
    '2026-03-26 20:56:05',
    '2026-03-26T20:56:05Z',
    '2026-03-26T20:56:05.000Z',
    '2026-03-26T22:56:05+02:00',
    '2026-03-26T20:56:05.000000000Z',
    '2026-03-26T19:56:05-0100',
  ];
  for (const text of shapes) assert.is(parseFirstSeen(text), instant, text);
  assert.is(parseFirstSeen('2026-03-27T17:49:45.533Z'), Date.UTC(2026, 2, 27, 17, 49, 45, 533));
  assert.is(parseFirstSeen('2026-03-27T17:49:44.123456789Z'), Date.UTC(2026, 2, 27, 17, 49, 44, 123));
  assert.is(parseFirstSeen('2024-02-29'), Date.UTC(2024, 1, 29));
});

test("years before 1000 are instants too: Go's zero time, and years 0 to 99 are not read as 1900 to 1999", () => {
  const at = (year: number, ...rest: number[]) => {
    const d = new Date(0);
    d.setUTCFullYear(year, rest[0] ?? 0, rest[1] ?? 1);
    d.setUTCHours(rest[2] ?? 0, rest[3] ?? 0, rest[4] ?? 0, 0);
    return d.getTime();
  };
  assert.is(parseFirstSeen('0001-01-01T00:00:00Z'), at(1));
  assert.is(parseFirstSeen('0050-06-15 12:00:00'), at(50, 5, 15, 12));
  assert.is(parseFirstSeen('0999-12-31T23:59:59Z'), at(999, 11, 31, 23, 59, 59));
  assert.is(parseFirstSeen('0000-02-29'), at(0, 1, 29), 'year 0 is a leap year');
  assert.ok(parseFirstSeen('0999-12-31T23:59:59Z')! < parseFirstSeen('1000-01-01T00:00:00Z')!);
});

test('anything else is not a time', () => {
  const bad = [
    '',
    'now',
    'yesterday',
    '2026-13-01 00:00:00',
    '2026-03-26 24:00:00',
    '2026-02-29T00:00:00Z',
    '2025-02-29',
    '0100-02-29',
    '2026-03-26T20:56:05Zjunk',
  ];
  for (const text of [...bad, null, 5, 1_774_000_000]) assert.is(parseFirstSeen(text), null, String(text));
});

test.run();
