// SQL text helpers for the DDL migrate() writes. Names come from columns.ts, but they are
// quoted anyway so a table or column name can never change the statement's meaning.

import type { ColumnSpec } from './columns.js';

/** Quotes an SQLite identifier: wrapped in double quotes, inner quotes doubled. */
export function quoteIdent(name: string): string {
  if (name.length === 0 || name.includes('\0')) {
    throw new TypeError(`Expected an SQL identifier to be a non-empty string without NUL, got ${JSON.stringify(name)}`);
  }
  return `"${name.replaceAll('"', '""')}"`;
}

/** `CREATE TABLE main."t" (...)` with every column as declared. */
export function createTableSql(table: string, columns: readonly ColumnSpec[]): string {
  const body = columns.map((c) => `  ${quoteIdent(c.name)} ${c.definition}`).join(',\n');
  return `CREATE TABLE main.${quoteIdent(table)} (\n${body}\n)`;
}

/** `ALTER TABLE main."t" ADD COLUMN "c" <decl>` for a column SQLite can add. */
export function addColumnSql(table: string, column: ColumnSpec): string {
  if (column.addDefinition === null) {
    throw new RangeError(`Column ${table}.${column.name} cannot be added to an existing table`);
  }
  return `ALTER TABLE main.${quoteIdent(table)} ADD COLUMN ${quoteIdent(column.name)} ${column.addDefinition}`;
}

/** `CREATE INDEX main."i" ON "t"("c")`. */
export function createIndexSql(name: string, table: string, column: string): string {
  return `CREATE INDEX main.${quoteIdent(name)} ON ${quoteIdent(table)}(${quoteIdent(column)})`;
}
