// Shared test fixtures: a temp directory per test, a CoreScope-shaped legacy database,
// and readers that look at a database the way a user would (PRAGMA, rows).

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { scratch } from '@mbcap/test-utils';

export type Db = Database.Database;

export type TempDir = {
  readonly dir: string;
  readonly dbPath: string;
  /** Opens a connection that cleanup() closes. */
  open(options?: Database.Options): Db;
  cleanup(): void;
};

export function tempDir(): TempDir {
  const s = scratch('mbcap-dbschema-');
  const opened: Db[] = [];
  return {
    dir: s.dir,
    dbPath: s.db,
    open(options) {
      const db = new Database(s.db, options);
      opened.push(db);
      return db;
    },
    cleanup() {
      for (const db of opened) if (db.open) db.close();
      s.cleanup();
    },
  };
}

type Packet = { raw_hex: string; first_seen: string; hash: string };

const packetsFile = fileURLToPath(new URL('../../../apps/demo/data/real-packets.jsonl', import.meta.url));

/** The first `count` real packets captured from a live mesh. */
export function realPackets(count: number): Packet[] {
  const lines = readFileSync(packetsFile, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '');
  return lines.slice(0, count).map((l) => JSON.parse(l) as Packet);
}

/**
 * An older CoreScope database: nodes without the multi-byte columns but with the user's
 * own `hardware` column, no inactive_nodes, transmissions without path_json (with the
 * optional from_pubkey), an extra `observers` table, and rows everywhere.
 */
export function createLegacyDb(db: Db): void {
  db.exec(`
    CREATE TABLE nodes (public_key TEXT PRIMARY KEY, name TEXT, role TEXT, lat REAL, lon REAL,
      last_seen TEXT, first_seen TEXT, advert_count INTEGER DEFAULT 0,
      battery_mv INTEGER, temperature_c REAL, hardware TEXT);
    CREATE TABLE transmissions (id INTEGER PRIMARY KEY AUTOINCREMENT, raw_hex TEXT NOT NULL,
      hash TEXT NOT NULL UNIQUE, first_seen TEXT NOT NULL, route_type INTEGER,
      payload_type INTEGER, payload_version INTEGER, decoded_json TEXT,
      created_at TEXT DEFAULT (datetime('now')), from_pubkey TEXT);
    CREATE TABLE observers (id TEXT PRIMARY KEY, name TEXT, last_seen TEXT);
    INSERT INTO observers VALUES ('obs-1', 'Roof', '2026-03-18T09:00:00Z'), ('obs-2', 'Attic', NULL);
    INSERT INTO nodes (public_key, name, role, lat, lon, last_seen, first_seen, advert_count, hardware)
    VALUES ('aa11bb22', 'Alpha', 'repeater', 47.5, 8.25, '2026-03-18T09:03:20Z', '2026-01-01 10:00:00', 12, 'Heltec V3'),
           ('CC33DD44', 'Bravo', 'companion', NULL, NULL, '2026-03-17T22:00:00.000Z', NULL, 3, 'RAK4631'),
           ('ee55ff66', NULL, NULL, NULL, NULL, NULL, NULL, 0, NULL);
  `);
  const insert = db.prepare('INSERT INTO transmissions (raw_hex, hash, first_seen, payload_type, created_at) VALUES (?, ?, ?, ?, ?)');
  for (const p of realPackets(5)) {
    const header = Number.parseInt(p.raw_hex.slice(0, 2), 16);
    insert.run(p.raw_hex, p.hash, p.first_seen, (header >> 2) & 0x0f, '2026-03-18 09:03:21');
  }
}

/** Column names of a table in declaration order, as PRAGMA table_info lists them. */
export function columnNames(db: Db, table: string): string[] {
  return (db.pragma(`table_info(${JSON.stringify(table)})`) as { name: string }[]).map((c) => c.name);
}

/** Every row of a table, ordered by rowid. */
export function rows(db: Db, table: string): unknown[] {
  return db.prepare(`SELECT * FROM "${table}" ORDER BY rowid`).all();
}

/** Names of the user tables (sqlite_sequence left out). */
export function tableNames(db: Db): string[] {
  return db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name <> 'sqlite_sequence' ORDER BY name").pluck().all() as string[];
}

/** The DDL of the whole database: equal before and after means nothing changed. */
export function schemaText(db: Db): string {
  return (db.prepare('SELECT type, name, sql FROM sqlite_master ORDER BY type, name').all() as object[]).map((r) => JSON.stringify(r)).join('\n');
}

export function journalMode(db: Db): string {
  return String(db.pragma('journal_mode', { simple: true }));
}
