// Applies one validated snapshot to nodes / inactive_nodes, exactly once, all or nothing,
// as the apply rule says (apply-rule.ts).
import type { Database } from 'better-sqlite3';
import type { ReadResult } from '@mbcap/handoff';
import { EntryTable } from '@mbcap/handoff/packed';
import { mbcapCodec, type MbcapEntry } from '@mbcap/snapshot';
import { aheadOfClock, DEFAULT_MAX_FUTURE_MS, isStale, isUnchanged } from './apply-rule.js';
import { lastApplied, recordApply, type LedgerRow } from './ledger.js';
import { ApplyTimeoutError, writeRows } from './write-rows.js';

export type ApplyOptions = {
  /** Apply whatever the ledger says (operators only). */
  force?: boolean;
  /** Refuse a snapshot written more than this far in the future, in ms (default 10 min). */
  maxFutureMs?: number;
  /** Give up an apply that holds the write lock longer than this, in ms (default 30 s): it rolls back. */
  maxApplyMs?: number;
  now?: () => number;
};

export type ApplyCounts = {
  read: number;
  updatedActive: number;
  updatedInactive: number;
  /** Rows that already held the snapshot's value: not written. */
  alreadyCurrent: number;
  /** Rows that held a higher value than the snapshot's (confirmed, the snapshot said suspected): kept, not lowered. */
  keptHigher: number;
  skipped: number;
  invalid: number;
  notFound: number;
};

export type ApplyDecision =
  | { status: 'applied'; counts: ApplyCounts; ledgerId: number; forced: boolean; previous: LedgerRow | null }
  | { status: 'unchanged'; counts: ApplyCounts; appliedAt: string }
  | { status: 'stale'; counts: ApplyCounts; last: LedgerRow }
  | { status: 'future'; counts: ApplyCounts; aheadMs: number }
  | { status: 'timed-out'; counts: ApplyCounts; limitMs: number };

export const DEFAULT_MAX_APPLY_MS = 30_000;

function emptyCounts(read: ReadResult<MbcapEntry>): ApplyCounts {
  return { read: read.snapshot.count, updatedActive: 0, updatedInactive: 0, alreadyCurrent: 0, keptHigher: 0, skipped: 0, invalid: read.invalid, notFound: 0 };
}

/**
 * Decides and, when due, applies: `future` when its writtenAt is too far ahead of the
 * clock, `unchanged` when this content is the last one applied, `stale` when it is older
 * than the last applied one (apply-rule.ts says how). The rows and the ledger row are
 * written in one IMMEDIATE transaction.
 */
export function applySnapshot(db: Database, read: ReadResult<MbcapEntry>, options: ApplyOptions = {}): ApplyDecision {
  const now = options.now ?? Date.now;
  const maxFutureMs = options.maxFutureMs ?? DEFAULT_MAX_FUTURE_MS;
  const maxApplyMs = options.maxApplyMs ?? DEFAULT_MAX_APPLY_MS;
  if (!(maxApplyMs > 0)) throw new RangeError(`Expected the "maxApplyMs" option to be a positive number of ms, got ${maxApplyMs}`);
  const { snapshot } = read;
  const counts = emptyCounts(read);
  const started = performance.now();

  // A far-future writtenAt would make every later snapshot look stale: refuse it, even forced.
  const aheadMs = aheadOfClock(snapshot, now(), maxFutureMs);
  if (aheadMs !== null) return { status: 'future', counts, aheadMs };

  const run = db.transaction(() => {
    // Exactly once: decide inside the write transaction, so two appliers cannot both apply.
    const last = lastApplied(db);
    if (!options.force && last) {
      if (isUnchanged(read.contentHash, last)) return { status: 'unchanged', counts, appliedAt: last.applied_at } as const;
      if (isStale(snapshot, last)) return { status: 'stale', counts, last } as const;
    }

    writeRows(db, snapshot.table ?? packed(snapshot.entries), counts, { deadline: started + maxApplyMs });

    const forced = Boolean(options.force);
    const ledgerId = recordApply(db, {
      applied_at: new Date(now()).toISOString(),
      content_hash: read.contentHash,
      seq: snapshot.seq,
      written_at: snapshot.writtenAt,
      written_at_ms: snapshot.writtenAtMs,
      entries_read: counts.read,
      updated_active: counts.updatedActive,
      updated_inactive: counts.updatedInactive,
      skipped: counts.skipped,
      invalid: counts.invalid,
      not_found: counts.notFound,
      kept_higher: counts.keptHigher,
      forced: forced ? 1 : 0,
      duration_ms: performance.now() - started,
      file_identity: JSON.stringify(read.identity),
    });
    return { status: 'applied', counts, ledgerId, forced, previous: last } as const;
  });
  try {
    return run.immediate();
  } catch (error) {
    // Past the time limit: the transaction rolled back, nothing is written
    if (error instanceof ApplyTimeoutError) return { status: 'timed-out', counts: emptyCounts(read), limitMs: maxApplyMs };
    throw error;
  }
}

function packed(entries: readonly MbcapEntry[]): EntryTable {
  const table = new EntryTable();
  for (const e of entries) table.push(mbcapCodec.key(e), mbcapCodec.code(e));
  return table;
}
