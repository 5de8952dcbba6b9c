// The tables and columns of the mesh database: the one place that names them.
// CoreScope's own tables (nodes, inactive_nodes, transmissions) keep CoreScope's column
// order and types; the mbcap_* tables are this project's bookkeeping.

/** One column: how to declare it in CREATE TABLE, and how (if at all) to add it later. */
export type ColumnSpec = {
  readonly name: string;
  /** SQL type plus constraints, exactly as CREATE TABLE declares it. */
  readonly definition: string;
  /**
   * Declaration used by `ALTER TABLE … ADD COLUMN` on an existing table, or `null` when
   * SQLite cannot add the column (PRIMARY KEY). SQLite refuses UNIQUE, NOT NULL without a
   * default, and non-constant defaults there, so those columns are added plain.
   */
  readonly addDefinition: string | null;
};

export type TableSpec = {
  readonly name: string;
  readonly columns: readonly ColumnSpec[];
};

export type IndexSpec = {
  readonly name: string;
  readonly table: string;
  readonly column: string;
};

/** Version written to `mbcap_meta.schema_version` by this code. */
export const SCHEMA_VERSION = 1;

function col(name: string, definition: string, addDefinition: string | null = definition): ColumnSpec {
  return { name, definition, addDefinition };
}

/** Columns of `nodes`; `inactive_nodes` has the same. */
export const NODE_COLUMNS: readonly ColumnSpec[] = [
  col('public_key', 'TEXT PRIMARY KEY', null),
  col('name', 'TEXT'),
  col('role', 'TEXT'),
  col('lat', 'REAL'),
  col('lon', 'REAL'),
  col('last_seen', 'TEXT'),
  col('first_seen', 'TEXT'),
  col('advert_count', 'INTEGER DEFAULT 0'),
  col('battery_mv', 'INTEGER'),
  col('temperature_c', 'REAL'),
  col('multibyte_sup', 'INTEGER DEFAULT 0'),
  col('multibyte_evidence', 'TEXT'),
];

/** A row of `nodes` or `inactive_nodes` as SQLite returns it (the columns both apps read). */
export type NodeRecord = {
  public_key: string;
  name: string | null;
  role: string | null;
  lat: number | null;
  lon: number | null;
  last_seen: string | null;
  first_seen: string | null;
  advert_count: number | null;
  multibyte_sup: number | null;
  multibyte_evidence: string | null;
};

/**
 * Columns of `transmissions`. `path_json` is optional in the field (our importer fills it);
 * `from_pubkey` and `channel_hash` are left to whoever has them.
 */
export const TRANSMISSION_COLUMNS: readonly ColumnSpec[] = [
  col('id', 'INTEGER PRIMARY KEY AUTOINCREMENT', null),
  col('raw_hex', 'TEXT NOT NULL', 'TEXT'),
  col('hash', 'TEXT NOT NULL UNIQUE', 'TEXT'),
  col('first_seen', 'TEXT NOT NULL', 'TEXT'),
  col('route_type', 'INTEGER'),
  col('payload_type', 'INTEGER'),
  col('payload_version', 'INTEGER'),
  col('decoded_json', 'TEXT'),
  col('created_at', "TEXT DEFAULT (datetime('now'))", 'TEXT'),
  col('path_json', 'TEXT'),
];

/** `mbcap_meta`: key/value bookkeeping, holds `schema_version`. */
export const META_COLUMNS: readonly ColumnSpec[] = [col('key', 'TEXT PRIMARY KEY', null), col('value', 'TEXT')];

/** `mbcap_ledger`: one row per snapshot apply, written in the apply's own transaction. */
export const LEDGER_COLUMNS: readonly ColumnSpec[] = [
  col('id', 'INTEGER PRIMARY KEY AUTOINCREMENT', null),
  col('applied_at', 'TEXT NOT NULL', 'TEXT'),
  col('content_hash', 'TEXT NOT NULL', 'TEXT'),
  col('seq', 'INTEGER'),
  col('written_at', 'TEXT NOT NULL', 'TEXT'),
  col('written_at_ms', 'INTEGER NOT NULL', 'INTEGER'),
  col('entries_read', 'INTEGER NOT NULL', 'INTEGER'),
  col('updated_active', 'INTEGER NOT NULL', 'INTEGER'),
  col('updated_inactive', 'INTEGER NOT NULL', 'INTEGER'),
  col('skipped', 'INTEGER NOT NULL', 'INTEGER'),
  col('invalid', 'INTEGER NOT NULL', 'INTEGER'),
  col('not_found', 'INTEGER NOT NULL', 'INTEGER'),
  col('forced', 'INTEGER NOT NULL DEFAULT 0'),
  col('duration_ms', 'REAL'),
  // The snapshot file's identity (device, inode, size, times) when it was applied: an
  // unchanged identity means an unchanged file, so a tick can skip it without reading it.
  col('file_identity', 'TEXT'),
  // Rows the apply held back because they held a higher value (a stored value only rises);
  // last, so a fresh ledger and one migrated from an older release have the same columns.
  col('kept_higher', 'INTEGER NOT NULL DEFAULT 0'),
];

/**
 * `mbcap_resets`: one row per `mbcap-ingestor reset` (an operator clearing values back to
 * unknown), written in the reset's own transaction.
 */
export const RESET_COLUMNS: readonly ColumnSpec[] = [
  col('id', 'INTEGER PRIMARY KEY AUTOINCREMENT', null),
  col('reset_at', 'TEXT NOT NULL', 'TEXT'),
  // The keys asked for, as a JSON array; NULL for --all
  col('keys', 'TEXT'),
  // The status filter (suspected, confirmed); NULL for any
  col('status', 'TEXT'),
  col('reset_active', 'INTEGER NOT NULL', 'INTEGER'),
  col('reset_inactive', 'INTEGER NOT NULL', 'INTEGER'),
  col('not_found', 'INTEGER NOT NULL', 'INTEGER'),
];

/**
 * `mbcap_refusals`: snapshot files the ingestor refused (bad signature, unsigned, stale,
 * from the future, not a regular file, malformed…), one row each, written in its own short
 * transaction. Bounded: the newest REFUSALS_KEPT rows are kept, and besides them the newest
 * row of each code, whose `total` (refusals of that code ever, this one included) keeps
 * the count by code growing while old rows go.
 */
export const REFUSAL_COLUMNS: readonly ColumnSpec[] = [
  col('id', 'INTEGER PRIMARY KEY AUTOINCREMENT', null),
  col('refused_at', 'TEXT NOT NULL', 'TEXT'),
  col('code', 'TEXT NOT NULL', 'TEXT'),
  // The file's seq when it could be read that far; NULL otherwise
  col('seq', 'INTEGER'),
  // The file's identity (device, inode, size, times) as JSON when it could be taken
  col('file_identity', 'TEXT'),
  col('reason', 'TEXT'),
  col('total', 'INTEGER NOT NULL DEFAULT 1'),
];

/** Rows of `mbcap_refusals` kept (plus the newest of each code). */
export const REFUSALS_KEPT = 1000;

/** Every table migrate() maintains, in creation order. */
export const TABLES: readonly TableSpec[] = [
  { name: 'nodes', columns: NODE_COLUMNS },
  { name: 'inactive_nodes', columns: NODE_COLUMNS },
  { name: 'transmissions', columns: TRANSMISSION_COLUMNS },
  { name: 'mbcap_meta', columns: META_COLUMNS },
  { name: 'mbcap_ledger', columns: LEDGER_COLUMNS },
  { name: 'mbcap_resets', columns: RESET_COLUMNS },
  { name: 'mbcap_refusals', columns: REFUSAL_COLUMNS },
];

/** Indexes migrate() creates unless an index already leads with the same column. */
export const INDEXES: readonly IndexSpec[] = [
  { name: 'idx_transmissions_first_seen', table: 'transmissions', column: 'first_seen' },
  { name: 'idx_transmissions_payload_type', table: 'transmissions', column: 'payload_type' },
  { name: 'idx_mbcap_ledger_content_hash', table: 'mbcap_ledger', column: 'content_hash' },
];
