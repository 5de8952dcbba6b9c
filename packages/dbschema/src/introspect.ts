// Reading the schema of the `main` database. Only sqlite_master and pragma table-valued
// functions with bound arguments: no identifier is spliced into SQL, and everything here
// works on a connection opened with `{ readonly: true }`.

import type { Database } from 'better-sqlite3';

/** True when `main` has a table (not a view) of this name; SQLite names are case-insensitive. */
export function hasTable(db: Database, table: string): boolean {
  const row = db.prepare("SELECT 1 FROM main.sqlite_master WHERE type = 'table' AND name = ? COLLATE NOCASE").get(table);
  return row !== undefined;
}

/** Column names of a table, lower-cased; empty when the table does not exist. */
export function tableColumns(db: Database, table: string): Set<string> {
  const rows = db.prepare("SELECT name FROM pragma_table_info(?, 'main')").pluck().all(table) as string[];
  return new Set(rows.map((name) => name.toLowerCase()));
}

/** True when the table exists and has the column (case-insensitive). */
export function hasColumn(db: Database, table: string, column: string): boolean {
  return tableColumns(db, table).has(column.toLowerCase());
}

/** First columns of the indexes on a table, lower-cased (expression indexes left out). */
export function indexLeadingColumns(db: Database, table: string): Set<string> {
  const names = db.prepare("SELECT name FROM pragma_index_list(?, 'main')").pluck().all(table) as string[];
  const firstColumn = db.prepare("SELECT name FROM pragma_index_info(?, 'main') ORDER BY seqno LIMIT 1").pluck();
  const leading = new Set<string>();
  for (const index of names) {
    const column = firstColumn.get(index) as string | null | undefined;
    if (typeof column === 'string') leading.add(column.toLowerCase());
  }
  return leading;
}

/** True when an index (of any table) has this name in `main`. */
export function hasIndexNamed(db: Database, name: string): boolean {
  const row = db.prepare("SELECT 1 FROM main.sqlite_master WHERE type = 'index' AND name = ? COLLATE NOCASE").get(name);
  return row !== undefined;
}
