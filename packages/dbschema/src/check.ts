// checkSchema(): does this database have what a process needs? Read-only (sqlite_master
// and pragma reads), so the server can run it on its { readonly: true } connection.

import type { Database } from 'better-sqlite3';
import { LEDGER_COLUMNS } from './columns.js';
import { hasTable, tableColumns } from './introspect.js';

/** Who is asking: the read-only server, or the ingestor applying a snapshot. */
export type SchemaNeed = 'server' | 'apply';

export type SchemaCheck = {
  readonly ok: boolean;
  /** `table <name>` for a missing table, `<table>.<column>` for a missing column. */
  readonly missing: string[];
};

type Requirement = {
  readonly table: string;
  readonly columns: readonly string[];
  /** An optional table may be absent; when present it must have its columns. */
  readonly optional?: boolean;
};

const SERVER_NODE_COLUMNS = ['public_key', 'name', 'role', 'last_seen', 'multibyte_sup', 'multibyte_evidence'];
const APPLY_NODE_COLUMNS = ['public_key', 'multibyte_sup', 'multibyte_evidence'];

const NEEDS: Record<SchemaNeed, readonly Requirement[]> = {
  // The capability computation; path_json is optional (hops decode from raw_hex).
  server: [
    { table: 'nodes', columns: SERVER_NODE_COLUMNS },
    { table: 'inactive_nodes', columns: SERVER_NODE_COLUMNS, optional: true },
    { table: 'transmissions', columns: ['raw_hex', 'first_seen', 'payload_type'] },
  ],
  // A database without inactive_nodes still applies to nodes.
  apply: [
    { table: 'nodes', columns: APPLY_NODE_COLUMNS },
    { table: 'inactive_nodes', columns: APPLY_NODE_COLUMNS, optional: true },
    { table: 'mbcap_ledger', columns: LEDGER_COLUMNS.map((c) => c.name) },
  ],
};

/** Names every table or column `need` requires that the database lacks. */
export function checkSchema(db: Database, need: SchemaNeed): SchemaCheck {
  if (!Object.hasOwn(NEEDS, need)) {
    throw new TypeError(`Expected "need" to be 'server' or 'apply', got ${JSON.stringify(need)}`);
  }
  const requirements = NEEDS[need];
  const missing: string[] = [];
  for (const { table, columns, optional } of requirements) {
    if (!hasTable(db, table)) {
      if (optional !== true) missing.push(`table ${table}`);
      continue;
    }
    const present = tableColumns(db, table);
    for (const column of columns) {
      if (!present.has(column)) missing.push(`${table}.${column}`);
    }
  }
  return { ok: missing.length === 0, missing };
}
