// The apply ledger (`mbcap_ledger`): one row per applied snapshot, written in the same
// transaction as the rows it describes, so it never claims an apply that did not happen.
import type { Database } from 'better-sqlite3';

export type LedgerRow = {
  id: number;
  applied_at: string;
  content_hash: string;
  seq: number | null;
  written_at: string;
  written_at_ms: number;
  entries_read: number;
  updated_active: number;
  updated_inactive: number;
  skipped: number;
  invalid: number;
  not_found: number;
  /** Rows held back by the only-rises rule (0 in rows written before the column existed). */
  kept_higher: number;
  forced: number;
  duration_ms: number | null;
  file_identity: string | null;
};

export type NewLedgerRow = Omit<LedgerRow, 'id'>;

export function lastApplied(db: Database): LedgerRow | null {
  return (db.prepare('SELECT * FROM mbcap_ledger ORDER BY id DESC LIMIT 1').get() as LedgerRow | undefined) ?? null;
}

export function recentApplies(db: Database, limit: number): LedgerRow[] {
  return db.prepare('SELECT * FROM mbcap_ledger ORDER BY id DESC LIMIT ?').all(limit) as LedgerRow[];
}

export function findApplied(db: Database, contentHash: string): LedgerRow | null {
  return (db.prepare('SELECT * FROM mbcap_ledger WHERE content_hash = ? ORDER BY id DESC LIMIT 1').get(contentHash) as LedgerRow | undefined) ?? null;
}

export function recordApply(db: Database, row: NewLedgerRow): number {
  const result = db
    .prepare(
      `INSERT INTO mbcap_ledger (applied_at, content_hash, seq, written_at, written_at_ms, entries_read,
         updated_active, updated_inactive, skipped, invalid, not_found, kept_higher, forced, duration_ms, file_identity)
       VALUES (@applied_at, @content_hash, @seq, @written_at, @written_at_ms, @entries_read,
         @updated_active, @updated_inactive, @skipped, @invalid, @not_found, @kept_higher, @forced, @duration_ms, @file_identity)`,
    )
    .run(row);
  return Number(result.lastInsertRowid);
}
