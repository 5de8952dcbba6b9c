// migrate(): brings any mesh database (fresh, CoreScope of any age, or ours) up to date.
// Additive only: creates missing tables, adds missing columns, creates missing indexes.
// It never drops, rebuilds or rewrites a table, so rows and the user's own tables and
// columns survive. All DDL runs in one IMMEDIATE transaction; WAL is set afterwards
// because SQLite cannot change the journal mode inside a transaction.

import type { Database } from 'better-sqlite3';
import { INDEXES, SCHEMA_VERSION, TABLES } from './columns.js';
import type { ColumnSpec, TableSpec } from './columns.js';
import { SchemaError } from './errors.js';
import { hasColumn, hasIndexNamed, hasTable, indexLeadingColumns, tableColumns } from './introspect.js';
import { addColumnSql, createIndexSql, createTableSql } from './sql.js';

export type MigrationReport = {
  /** What changed, in plain words, in the order it was done; empty when already up to date. */
  readonly changes: string[];
  /** schema_version found before migrating; null for a database we never touched. */
  readonly fromVersion: number | null;
  /** schema_version after migrating (this code's SCHEMA_VERSION). */
  readonly schemaVersion: number;
};

/** Brings the database up to date; idempotent. Throws SchemaError when it must not touch it. */
export function migrate(db: Database): MigrationReport {
  // Validate arguments
  if (db.readonly) {
    throw new TypeError('Expected a writable connection for migrate(), got one opened with { readonly: true }');
  }
  if (db.inTransaction) {
    throw new TypeError('Expected migrate() to be called outside a transaction (it sets journal_mode=WAL)');
  }

  const changes: string[] = [];
  const fromVersion = db.transaction(() => migrateSchema(db, changes)).immediate();

  // Journal mode: a no-op when already WAL; in-memory databases stay "memory".
  const mode = String(db.pragma('journal_mode', { simple: true })).toLowerCase();
  if (mode !== 'wal' && mode !== 'memory') {
    const now = String(db.pragma('journal_mode = WAL', { simple: true })).toLowerCase();
    if (now === 'wal') changes.push('set journal_mode=wal');
  }

  return { changes, fromVersion, schemaVersion: SCHEMA_VERSION };
}

/** The transactional part; returns the schema_version found before. */
function migrateSchema(db: Database, changes: string[]): number | null {
  // Refuse before changing anything
  const fromVersion = readSchemaVersion(db);
  if (fromVersion !== null && fromVersion > SCHEMA_VERSION) {
    throw new SchemaError(
      `database schema_version is ${fromVersion}, newer than this code knows (${SCHEMA_VERSION}); ` +
        'left it untouched (no downgrade): run a newer mbcap release',
      'NEWER_SCHEMA',
    );
  }
  for (const table of TABLES) assertUsable(db, table);

  // Tables and columns
  for (const table of TABLES) {
    if (!hasTable(db, table.name)) {
      db.exec(createTableSql(table.name, table.columns));
      changes.push(`created table ${table.name}`);
      continue;
    }
    const present = tableColumns(db, table.name);
    for (const column of table.columns) {
      if (present.has(column.name)) continue;
      db.exec(addColumnSql(table.name, column));
      changes.push(`added column ${table.name}.${column.name}${weakerNote(column)}`);
    }
  }

  // Indexes: skip when any index (whatever its name) already leads with the column
  for (const index of INDEXES) {
    if (indexLeadingColumns(db, index.table).has(index.column)) continue;
    if (hasIndexNamed(db, index.name)) continue;
    db.exec(createIndexSql(index.name, index.table, index.column));
    changes.push(`created index ${index.name} on ${index.table}(${index.column})`);
  }

  // Version
  if (fromVersion !== SCHEMA_VERSION) {
    db.prepare("DELETE FROM main.mbcap_meta WHERE key = 'schema_version'").run();
    db.prepare("INSERT INTO main.mbcap_meta (key, value) VALUES ('schema_version', ?)").run(String(SCHEMA_VERSION));
    const was = fromVersion === null ? '' : ` (was ${fromVersion})`;
    changes.push(`set schema_version=${SCHEMA_VERSION}${was}`);
  }
  return fromVersion;
}

/** schema_version from mbcap_meta, or null when there is none yet. */
function readSchemaVersion(db: Database): number | null {
  if (!hasColumn(db, 'mbcap_meta', 'key') || !hasColumn(db, 'mbcap_meta', 'value')) return null;
  const value: unknown = db.prepare("SELECT value FROM main.mbcap_meta WHERE key = 'schema_version'").pluck().get();
  if (value === undefined || value === null) return null;
  const text = String(value).trim();
  if (!/^\d+$/.test(text)) {
    throw new SchemaError(
      `mbcap_meta.schema_version is ${JSON.stringify(String(value))}, not a whole number; ` +
        'left the database untouched: fix or delete that row, then migrate again',
      'BAD_VERSION',
    );
  }
  return Number(text);
}

/** An existing table must already have the columns SQLite cannot add (its primary key). */
function assertUsable(db: Database, table: TableSpec): void {
  if (!hasTable(db, table.name)) return;
  const present = tableColumns(db, table.name);
  for (const column of table.columns) {
    if (column.addDefinition !== null || present.has(column.name)) continue;
    throw new SchemaError(
      `table ${table.name} exists but has no ${column.name} column, which SQLite cannot add ` +
        `(${column.definition}); left the database untouched: rename that table, then migrate again`,
      'UNUSABLE_TABLE',
    );
  }
}

/** Explains a column added with a weaker declaration than CREATE TABLE would use. */
function weakerNote(column: ColumnSpec): string {
  if (column.addDefinition === column.definition) return '';
  return ` as ${column.addDefinition} (SQLite cannot add "${column.definition}" to an existing table)`;
}
