// The writer's side of the handoff as the server sees it, read-only: the ingestor's ledger
// (`mbcap_ledger`: what it applied, when) and its refusals (`mbcap_refusals`: the files it
// refused, by code), against what this server published. A database without these tables
// (older, or no ingestor ever ran) reads as nothing applied and nothing refused.
import type { Database } from 'better-sqlite3';
import { hasColumn, readRefusals } from '@mbcap/dbschema';
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

  // Refusals: every known code, 0 included
  const read = readRefusals(db);
  const refusals = read === null ? null : { ...Object.fromEntries(REFUSAL_CODES.map((code) => [code, 0])), ...read.totals };
  const lastRefusal = read?.last ?? null;

  return {
    lastApplied: row ? { seq: row.seq, appliedAt: row.applied_at, writtenAt: row.written_at } : null,
    lastAppliedSeq: applied,
    lagSeconds: Math.round(lagSeconds * 1000) / 1000,
    waiting: oldest === null ? null : { seq: oldest.seq, since: oldest.at },
    refusals,
    lastRefusal,
  };
}
