// The one error class for databases migrate() cannot or must not bring up to date.

export type SchemaErrorCode =
  /** mbcap_meta.schema_version is newer than this code: refusing to downgrade. */
  | 'NEWER_SCHEMA'
  /** mbcap_meta.schema_version is not a whole number. */
  | 'BAD_VERSION'
  /** An existing table lacks a column SQLite cannot add (its primary key). */
  | 'UNUSABLE_TABLE';

export class SchemaError extends Error {
  readonly code: SchemaErrorCode;

  constructor(message: string, code: SchemaErrorCode, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SchemaError';
    this.code = code;
  }
}
