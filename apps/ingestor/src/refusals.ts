// The record of refused snapshot files (`mbcap_refusals`), so the read-only server can
// count them by code: one row per refusal, in its own short transaction, the table kept
// bounded (packages/dbschema REFUSAL_COLUMNS says how).
import type { Database } from 'better-sqlite3';
import { hasTable, REFUSALS_KEPT } from '@mbcap/dbschema';
import { mbcapHandoff, type RefusalCode } from '@mbcap/snapshot';
import type { TickOutcome } from './tick.js';

export type Refusal = { code: RefusalCode; seq: number | null; reason: string };

/** The refusal an outcome stands for: malformed (its code, FUTURE included) and stale; null for the rest. */
export function refusalOf(outcome: TickOutcome): Refusal | null {
  if (outcome.status === 'stale') return { code: 'STALE', seq: outcome.seq, reason: outcome.reason ?? '' };
  if (outcome.status === 'malformed') return { code: (outcome.code ?? 'MALFORMED') as RefusalCode, seq: outcome.seq, reason: outcome.reason ?? '' };
  return null;
}

/**
 * Records one refusal; the file's identity is taken now, when it can be. Returns why it
 * could not be recorded (a database without the table, not migrated; a busy database),
 * or null: a refusal is reported in the log whatever happens here.
 */
export function recordRefusal(db: Database, dbPath: string, refusal: Refusal, now: () => number = Date.now): string | null {
  if (!hasTable(db, 'mbcap_refusals')) return `the database has no table mbcap_refusals (run mbcap-ingestor migrate --db ${dbPath})`;
  let identity: string | null = null;
  try {
    const taken = mbcapHandoff.identity(dbPath);
    identity = taken === null ? null : JSON.stringify(taken);
  } catch {
    // gone, or not a file: the row says so by its NULL
  }
  try {
    db.transaction(() => {
      const previous = db.prepare('SELECT total FROM mbcap_refusals WHERE code = ? ORDER BY id DESC LIMIT 1').pluck().get(refusal.code);
      const total = (typeof previous === 'number' ? previous : 0) + 1;
      const { lastInsertRowid } = db
        .prepare('INSERT INTO mbcap_refusals (refused_at, code, seq, file_identity, reason, total) VALUES (?, ?, ?, ?, ?, ?)')
        .run(new Date(now()).toISOString(), refusal.code, refusal.seq, identity, refusal.reason, total);
      // Bounded: the newest rows, and the newest of each code (it carries the code's total)
      db.prepare('DELETE FROM mbcap_refusals WHERE id <= ? AND id NOT IN (SELECT max(id) FROM mbcap_refusals GROUP BY code)').run(
        Number(lastInsertRowid) - REFUSALS_KEPT,
      );
    }).immediate();
  } catch (error) {
    return `could not record it in mbcap_refusals: ${(error as Error).message}`;
  }
  return null;
}
