// Reading the refusals the ingestor records (`mbcap_refusals`), read-only, for the server's
// /healthz and /metrics and for `mbcap-ingestor status` alike.
import type { Database } from 'better-sqlite3';
import { hasColumn, hasTable } from './introspect.js';

export type RefusalSummary = {
  /** Files refused ever, by code (the newest row of each code carries its running total); only codes seen. */
  totals: Record<string, number>;
  /** The newest refusal, or null. */
  last: { at: string; code: string; seq: number | null; reason: string | null } | null;
};

/** null when the database has no refusals table (older, or no ingestor ever ran). */
export function readRefusals(db: Database): RefusalSummary | null {
  if (!hasTable(db, 'mbcap_refusals') || !hasColumn(db, 'mbcap_refusals', 'total')) return null;
  const totals: Record<string, number> = {};
  const rows = db.prepare('SELECT code, total FROM mbcap_refusals WHERE id IN (SELECT max(id) FROM mbcap_refusals GROUP BY code)').all() as {
    code: string;
    total: number;
  }[];
  for (const { code, total } of rows) totals[code] = total;
  const last = db.prepare('SELECT refused_at, code, seq, reason FROM mbcap_refusals ORDER BY id DESC LIMIT 1').get() as
    | { refused_at: string; code: string; seq: number | null; reason: string | null }
    | undefined;
  return { totals, last: last ? { at: last.refused_at, code: last.code, seq: last.seq, reason: last.reason } : null };
}
