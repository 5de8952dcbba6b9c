// The packet scan reads only the rows that can be evidence or an advert, filtered inside
// SQLite (scan.ts). Its plain twin reads every row. The two must compute the same entries
// and keep the same explanations: checked on random SQLite files full of edges and on the
// real packets; and the SQL predicate itself is checked against the JavaScript
// classification (peekPacket, payloadTypeOf) row by row.
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import Database from 'better-sqlite3';
import { migrate } from '@mbcap/dbschema';
import { encodeAdvert, PAYLOAD_TYPE, peekPacket, toHex } from '@mbcap/meshcore';
import { createRng, type Rng } from '@mbcap/meshgen';
import { payloadTypeOf } from '../src/capability.js';
import { computeCapabilities, type ComputeResult } from '../src/compute.js';
import { openServerDatabase, type ServerDatabase } from '../src/database.js';
import { PACKET_SCAN_FILTER, packetScanSql, type ScanRow } from '../src/scan.js';
import { ingestor, scratch } from './helpers.js';

const DAY = 86_400_000;
const REAL_PACKETS = fileURLToPath(new URL('../../demo/data/real-packets.jsonl', import.meta.url));

/** A packet built byte by byte: any header, any path-length byte (reserved ones too), then damage. */
function randomRawHex(rng: Rng, keys: readonly string[]): string {
  const hex = (n: number) => toHex(rng.bytes(n));
  const header = rng.chance(0.3) ? (rng.int(4) << 6) | (PAYLOAD_TYPE.ADVERT << 2) | rng.int(4) : rng.int(256);
  const routeType = header & 0x03;
  const pathLength = rng.chance(0.5) ? rng.int(256) : (rng.pick([0, 1, 2]) << 6) | rng.pick([0, 0, 1, 2, 3]);
  const size = Math.min(3, (pathLength >> 6) + 1);
  // Hops: mostly a node's key prefix, so path evidence is common
  let path = '';
  for (let i = 0; i < (pathLength & 0x3f); i++)
    path += rng.chance(0.7)
      ? rng
          .pick(keys)
          .padEnd(6, '0')
          .slice(0, size * 2)
      : hex(size);
  const advertKey = rng.pick(keys).padEnd(64, '7').slice(0, 64);
  const payload = rng.chance(0.5) ? toHex(encodeAdvert({ publicKey: advertKey, timestamp: 1_790_000_000, type: 2, name: 'x' })) : hex(rng.int(40));
  let raw = toHex(Uint8Array.of(header)) + (routeType === 0 || routeType === 3 ? hex(4) : '') + toHex(Uint8Array.of(pathLength)) + path + payload;

  // Damage and case
  const damage = rng.int(20);
  if (damage === 0) raw = raw.slice(0, rng.int(14));
  else if (damage === 1) raw = `${raw.slice(0, 1 + rng.int(12))}zz${raw.slice(14)}`;
  else if (damage === 2) raw = raw.slice(0, -1);
  else if (damage === 3) raw = `${raw.slice(0, 2)}é${raw.slice(3)}`;
  if (rng.chance(0.25)) raw = raw.toUpperCase();
  else if (rng.chance(0.1)) raw = [...raw].map((c) => (rng.chance(0.5) ? c.toUpperCase() : c)).join('');
  return raw;
}

/** A random database: keys sharing prefixes, packets of every route, type and path byte. */
function randomDb(path: string, rng: Rng, now: number): void {
  const hex = (n: number) => toHex(rng.bytes(n));
  const stems = Array.from({ length: 5 }, () => hex(1));
  const keys: string[] = [];
  for (let i = 0; i < 40; i++) {
    let key = rng.pick(stems) + hex(31);
    if (rng.chance(0.1)) key = key.slice(0, 2 * rng.between(1, 8));
    if (rng.chance(0.2)) key = key.toUpperCase();
    keys.push(key);
  }

  const db = new Database(path);
  try {
    migrate(db);
    const hasPathJson = () => db.prepare("SELECT 1 FROM pragma_table_info('transmissions') WHERE name = 'path_json'").get() !== undefined;
    if (rng.chance(0.5)) db.exec(hasPathJson() ? 'ALTER TABLE transmissions DROP COLUMN path_json' : 'ALTER TABLE transmissions ADD COLUMN path_json TEXT');
    const withPathJson = hasPathJson();
    db.transaction(() => {
      keys.forEach((key, i) => {
        db.prepare(`INSERT OR IGNORE INTO ${rng.chance(0.3) ? 'inactive_nodes' : 'nodes'} (public_key, name, role) VALUES (?, ?, ?)`).run(
          key,
          `n${i}`,
          'repeater',
        );
      });
      const insert = db.prepare(
        `INSERT INTO transmissions (raw_hex, hash, first_seen, payload_type, decoded_json${withPathJson ? ', path_json' : ''}) VALUES (?, ?, ?, ?, ?${withPathJson ? ', ?' : ''})`,
      );
      const times = Array.from({ length: 10 }, () => now - rng.int(10 * DAY));
      for (let p = 0; p < 600; p++) {
        const raw = randomRawHex(rng, keys);
        const header = Number.parseInt(raw.slice(0, 2), 16);
        // The column: mostly the header's type, sometimes NULL, sometimes another one
        const column = rng.weighted<number | null>([
          [Number.isNaN(header) ? null : (header >> 2) & 0x0f, 6],
          [null, 2],
          [rng.int(16), 1],
          [PAYLOAD_TYPE.ADVERT, 1],
        ]);
        const sender = rng.pick(keys);
        const decoded = rng.weighted<string | null>([
          [JSON.stringify({ type: 'ADVERT', pubKey: rng.chance(0.3) ? sender.toUpperCase() : sender }), 3],
          [JSON.stringify({ type: 'ADVERT' }), 1],
          ['{not json', 1],
          [null, 3],
        ]);
        const hops = Array.from({ length: rng.int(4) }, () => rng.pick(keys).slice(0, rng.pick([2, 4, 6])));
        const pathJson = rng.weighted<string | null>([
          [JSON.stringify(hops), 3],
          ['[]', 1],
          ['junk', 1],
          [JSON.stringify([1, 'ab']), 1],
          [null, 4],
        ]);
        const firstSeen = rng.chance(0.03) ? 'not a time' : new Date(rng.pick(times)).toISOString().replace('T', rng.chance(0.3) ? ' ' : 'T');
        insert.run(raw, `h${p}`, firstSeen, column, decoded, ...(withPathJson ? [pathJson] : []));
      }
    })();
  } finally {
    db.close();
  }
}

/** Typed arrays as plain arrays, so a difference shows where it lies. */
function plain(value: unknown): unknown {
  if (ArrayBuffer.isView(value)) return Array.from(value as unknown as ArrayLike<number>);
  if (Array.isArray(value)) return value.map(plain);
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v)]));
  return value;
}

/** Filtered and unfiltered compute, with and without kept explanations, over two windows. */
function assertSameBothWays(source: ServerDatabase, now: number, label: string): { picked: number; rows: number } {
  let picked = 0;
  let rows = 0;
  for (const windowMs of [3 * DAY, null]) {
    for (const keep of [true, false]) {
      const compute = (filter: boolean): ComputeResult => computeCapabilities(source, { windowMs, now, keep, filter });
      const filtered = compute(true);
      const every = compute(false);
      assert.equal(filtered.entries, every.entries, `${label}: entries, window ${windowMs}, keep ${keep}`);
      assert.equal(plain(filtered.kept), plain(every.kept), `${label}: kept, window ${windowMs}, keep ${keep}`);
      picked = filtered.stats.packets;
      rows = every.stats.packets;
    }
  }
  return { picked, rows };
}

/** The SQL predicate against the JavaScript classification, row by row: equal for every intact packet. */
function assertPredicate(source: ServerDatabase, label: string): { intact: number; broken: number } {
  const pathJson = source.hasPathJson ? 'path_json' : 'NULL';
  const sql = `SELECT raw_hex, payload_type, decoded_json, first_seen, ${pathJson}, rowid, (${PACKET_SCAN_FILTER}) AS picked FROM transmissions`;
  let intact = 0;
  let broken = 0;
  for (const [raw_hex, payload_type, , , , rowid, picked] of source.db.prepare(sql).raw().all() as [...ScanRow, number][]) {
    const packet = peekPacket(raw_hex);
    if (packet === null) {
      // Broken: either way is right, the accumulator skips it
      broken++;
      continue;
    }
    intact++;
    const wanted = payloadTypeOf({ raw_hex, payload_type, decoded_json: null, first_seen: '' }, packet) === PAYLOAD_TYPE.ADVERT || packet.hashSize >= 2;
    assert.is(picked === 1, wanted, `${label}: row ${rowid} ${raw_hex.slice(0, 12)} (payload_type ${payload_type})`);
  }
  return { intact, broken };
}

test('random databases: filtered and unfiltered scans compute the same entries and kept explanations', () => {
  const now = Date.now();
  const statuses = new Set<string>();
  let picked = 0;
  let rows = 0;
  for (let seed = 1; seed <= 10; seed++) {
    const s = scratch();
    try {
      randomDb(s.db, createRng(seed), now);
      const source = openServerDatabase(s.db);
      try {
        const counts = assertSameBothWays(source, now, `seed ${seed}`);
        picked += counts.picked;
        rows += counts.rows;
        for (const entry of computeCapabilities(source, { windowMs: null, now }).entries) statuses.add(entry.status);
      } finally {
        source.db.close();
      }
    } finally {
      s.cleanup();
    }
  }
  assert.equal([...statuses].sort(), ['confirmed', 'suspected', 'unknown'], 'every status was compared');
  assert.ok(picked > rows * 0.2 && picked < rows * 0.9, `the filter leaves some rows out and keeps others (${picked} of ${rows})`);
});

test('random databases: the SQL predicate picks exactly the intact adverts and multi-byte packets', () => {
  let intact = 0;
  let broken = 0;
  for (let seed = 1; seed <= 10; seed++) {
    const s = scratch();
    try {
      randomDb(s.db, createRng(seed), Date.now());
      const source = openServerDatabase(s.db);
      try {
        const counts = assertPredicate(source, `seed ${seed}`);
        intact += counts.intact;
        broken += counts.broken;
      } finally {
        source.db.close();
      }
    } finally {
      s.cleanup();
    }
  }
  assert.ok(intact > 3000 && broken > 300, `${intact} intact and ${broken} broken rows`);
});

test('the real packets: the same both ways, and the predicate picks their adverts', () => {
  const s = scratch();
  try {
    for (const args of [
      ['migrate', '--db', s.db],
      ['import', '--db', s.db, REAL_PACKETS],
    ]) {
      const r = ingestor(...args);
      assert.is(r.code, 0, r.stderr);
    }
    const source = openServerDatabase(s.db);
    try {
      const now = Date.now();
      const { picked, rows } = assertSameBothWays(source, now, 'real');
      // The 54 real packets are 1-byte; their 26 adverts are read, for the kept counts by size
      assert.equal([picked, rows], [26, 54]);
      assert.equal(assertPredicate(source, 'real'), { intact: 54, broken: 0 });
      const { kept } = computeCapabilities(source, { windowMs: null, now, keep: true });
      assert.ok(
        kept!.bySize.some((n) => n > 0),
        'adverts counted by size',
      );
    } finally {
      source.db.close();
    }
  } finally {
    s.cleanup();
  }
});

test('after a rowid: only the later rows, filtered alike, in rowid order', () => {
  const s = scratch();
  try {
    randomDb(s.db, createRng(42), Date.now());
    const source = openServerDatabase(s.db);
    try {
      for (const filter of [true, false]) {
        const all = source.db.prepare(packetScanSql(source, { filter })).raw().all() as ScanRow[];
        const after = all[Math.floor(all.length / 2)]![5];
        const later = source.db
          .prepare(packetScanSql(source, { filter, afterId: true }))
          .raw()
          .all(after) as ScanRow[];
        assert.equal(
          later,
          all.filter((row) => row[5] > after).sort((a, b) => a[5] - b[5]),
          `filter ${filter}`,
        );
        assert.ok(later.length > 0);
      }
    } finally {
      source.db.close();
    }
  } finally {
    s.cleanup();
  }
});

test.run();
