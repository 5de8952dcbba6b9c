/**
 * @mbcap/dbschema: the one source of truth for the SQLite schema of `<data>/mesh.db`.
 *
 *   nodes, inactive_nodes   CoreScope node rows; multibyte_sup (0 unknown, 1 suspected,
 *                           2 confirmed) and multibyte_evidence are added by migrate()
 *   transmissions           CoreScope packets; path_json optional
 *   mbcap_meta              key/value; schema_version = '1'
 *   mbcap_ledger            one row per snapshot apply, written in the apply's transaction
 *   mbcap_resets            one row per operator reset of values back to unknown
 *   mbcap_refusals          snapshot files the ingestor refused, the newest 1000 (and
 *                           the newest of each code, with the code's running total)
 *
 * The ingestor (the only writer) calls migrate() at start: additive, idempotent, one
 * transaction, then journal_mode=WAL. It refuses a newer schema_version. The read-only
 * server calls checkSchema(db, 'server') and reads optional parts via hasTable/hasColumn.
 * parseFirstSeen reads the times CoreScope stores as text (first_seen, last_seen), for both.
 */

export {
  INDEXES,
  LEDGER_COLUMNS,
  META_COLUMNS,
  NODE_COLUMNS,
  REFUSAL_COLUMNS,
  REFUSALS_KEPT,
  RESET_COLUMNS,
  SCHEMA_VERSION,
  TABLES,
  TRANSMISSION_COLUMNS,
} from './columns.js';
export type { ColumnSpec, IndexSpec, NodeRecord, TableSpec } from './columns.js';
export { migrate } from './migrate.js';
export type { MigrationReport } from './migrate.js';
export { duplicateKeys } from './duplicates.js';
export { checkSchema } from './check.js';
export type { SchemaCheck, SchemaNeed } from './check.js';
export { hasColumn, hasTable, tableColumns } from './introspect.js';
export { SchemaError } from './errors.js';
export type { SchemaErrorCode } from './errors.js';
export { quoteIdent } from './sql.js';
export { parseFirstSeen } from './first-seen.js';
export { openDatabase, DatabaseOpenError, SYNCHRONOUS_LEVELS } from './open.js';
export type { SynchronousLevel } from './open.js';
export type { OpenOptions } from './open.js';
export { readRefusals, type RefusalSummary } from './refusals.js';
