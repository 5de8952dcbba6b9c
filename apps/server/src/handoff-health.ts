// The writer's side of the handoff as the server sees it, read-only: the ingestor's ledger
// (`mbcap_ledger`: what it applied, when) and its refusals (`mbcap_refusals`: the files it
// refused, by code), against what this server published. A database without these tables
// (older, or no ingestor ever ran) reads as nothing applied and nothing refused.
import type { Database } from 'better-sqlite3';
import { hasColumn, hasTable } from '@mbcap/dbschema';
import { REFUSAL_CODES } from '@mbcap/snapshot';
import { lastAppliedSeq } from './ledger.js';
import type { PublishState } from './publisher.js';

export type HandoffHealth = {
  /** The newest ledger row: the last snapshot the ingestor applied; null when none. */
  lastApplied: { seq: number | null; appliedAt: string; writtenAt: string } | null;
  /** The highest seq the ingestor applied (0: none). */
  lastAppliedSeq: number;
  /**
   * Seconds the oldest snapshot this server published and the ingestor has not applied
   * has waited (since its cycle started); 0 when the ingestor holds the last publish.
   */
  lagSeconds: number;
  /** The oldest publish not applied yet, or null. */
  waiting: { seq: number; since: string } | null;
  /** Refusals ever recorded, by code (every known code, 0 included); null without the table. */
  refusals: Record<string, number> | null;
  /** The newest refusal, or null. */
  lastRefusal: { at: string; code: string; seq: number | null; reason: string | null } | null;
};

type LedgerRow = { seq: number | null; applied_at: string; written_at: string };
type RefusalRow = { refused_at: string; code: string; seq: number | null; reason: string | null };

export function readHandoffHealth(db: Database, state: PublishState, now = Date.now()): HandoffHealth {
  // The ledger
  const hasLedger = hasColumn(db, 'mbcap_ledger', 'applied_at') && hasColumn(db, 'mbcap_ledger', 'written_at');
  const row = hasLedger
    ? (db.prepare('SELECT seq, applied_at, written_at FROM mbcap_ledger ORDER BY id DESC LIMIT 1').get() as LedgerRow | undefined)
    : undefined;
  const applied = lastAppliedSeq(db);

  // The oldest publish above what the ingestor applied
  const oldest = state.recent.find((p) => p.seq > applied) ?? null;
  const lagSeconds = oldest === null ? 0 : Math.max(0, (now - Date.parse(oldest.at)) / 1000);

  // Refusals: the newest row of each code carries that code's total
  let refusals: Record<string, number> | null = null;
  let lastRefusal: HandoffHealth['lastRefusal'] = null;
  if (hasTable(db, 'mbcap_refusals') && hasColumn(db, 'mbcap_refusals', 'total')) {
    refusals = Object.fromEntries(REFUSAL_CODES.map((code) => [code, 0]));
    const totals = db.prepare('SELECT code, total FROM mbcap_refusals WHERE id IN (SELECT max(id) FROM mbcap_refusals GROUP BY code)').all() as {
      code: string;
      total: number;
    }[];
    for (const { code, total } of totals) refusals[code] = total;
    const last = db.prepare('SELECT refused_at, code, seq, reason FROM mbcap_refusals ORDER BY id DESC LIMIT 1').get() as RefusalRow | undefined;
    if (last) lastRefusal = { at: last.refused_at, code: last.code, seq: last.seq, reason: last.reason };
  }

  return {
    lastApplied: row ? { seq: row.seq, appliedAt: row.applied_at, writtenAt: row.written_at } : null,
    lastAppliedSeq: applied,
    lagSeconds: Math.round(lagSeconds * 1000) / 1000,
    waiting: oldest === null ? null : { seq: oldest.seq, since: oldest.at },
    refusals,
    lastRefusal,
  };
}
