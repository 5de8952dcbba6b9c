// Applies one validated snapshot to nodes / inactive_nodes, exactly once, all or nothing.
import type { Database, Statement } from 'better-sqlite3';
import { hasTable, MULTIBYTE_SUP } from '@mbcap/dbschema';
import type { MbcapEntry, ReadResult } from '@mbcap/snapshot';
import { lastApplied, recordApply, type LedgerRow } from './ledger.js';

export type ApplyOptions = {
  /** Apply whatever the ledger says (operators only). */
  force?: boolean;
  /** Refuse a snapshot written more than this far in the future, in ms (default 10 min). */
  maxFutureMs?: number;
  now?: () => number;
};

export type ApplyCounts = {
  read: number;
  updatedActive: number;
  updatedInactive: number;
  /** Rows that already held the snapshot's value: not written. */
  alreadyCurrent: number;
  skipped: number;
  invalid: number;
  notFound: number;
};

export type ApplyDecision =
  | { status: 'applied'; counts: ApplyCounts; ledgerId: number; forced: boolean }
  | { status: 'unchanged'; counts: ApplyCounts; appliedAt: string }
  | { status: 'stale'; counts: ApplyCounts; last: LedgerRow }
  | { status: 'future'; counts: ApplyCounts; aheadMs: number };

export const DEFAULT_MAX_FUTURE_MS = 10 * 60_000;

type Statements = {
  updateActive: Statement;
  updateInactive: Statement | null;
  exists: Statement;
};
const statements = new WeakMap<Database, Statements>();

function prepare(db: Database): Statements {
  let s = statements.get(db);
  if (s) return s;
  // Only rows whose value differs are written: an unchanged row costs no page write.
  const update = (table: string) =>
    db.prepare(`UPDATE ${table} SET multibyte_sup = ?, multibyte_evidence = ? WHERE public_key = ? AND (multibyte_sup IS NOT ? OR multibyte_evidence IS NOT ?)`);
  const inactive = hasTable(db, 'inactive_nodes');
  s = {
    updateActive: update('nodes'),
    updateInactive: inactive ? update('inactive_nodes') : null,
    exists: inactive
      ? db.prepare('SELECT 1 FROM nodes WHERE public_key = ? UNION ALL SELECT 1 FROM inactive_nodes WHERE public_key = ? LIMIT 1').pluck()
      : db.prepare('SELECT 1 FROM nodes WHERE public_key = ? AND ? IS NOT NULL').pluck(),
  };
  statements.set(db, s);
  return s;
}

/** Forgets the prepared statements of `db` (after a migration changed the schema). */
export function resetStatements(db: Database): void {
  statements.delete(db);
}

function emptyCounts(read: ReadResult<MbcapEntry>): ApplyCounts {
  return { read: read.snapshot.entries.length, updatedActive: 0, updatedInactive: 0, alreadyCurrent: 0, skipped: 0, invalid: read.invalid, notFound: 0 };
}

/**
 * Decides and, when due, applies: `unchanged` when this content is the last one applied,
 * `stale` when it was written before the last applied one (seq breaks ties), `future`
 * when its writtenAt is too far ahead of the clock. The rows and the ledger row are
 * written in one IMMEDIATE transaction.
 */
export function applySnapshot(db: Database, read: ReadResult<MbcapEntry>, options: ApplyOptions = {}): ApplyDecision {
  const now = options.now ?? Date.now;
  const maxFutureMs = options.maxFutureMs ?? DEFAULT_MAX_FUTURE_MS;
  const { snapshot } = read;
  const counts = emptyCounts(read);
  const started = performance.now();

  // A far-future writtenAt would make every later snapshot look stale: refuse it, even forced.
  const aheadMs = snapshot.writtenAtMs - now();
  if (aheadMs > maxFutureMs) return { status: 'future', counts, aheadMs };

  const stmts = prepare(db);
  const run = db.transaction(() => {
    // Exactly once: decide inside the write transaction, so two appliers cannot both apply.
    const last = lastApplied(db);
    if (!options.force && last) {
      if (last.content_hash === read.contentHash) return { status: 'unchanged', counts, appliedAt: last.applied_at } as const;
      const older = snapshot.writtenAtMs < last.written_at_ms;
      const tieOlder = snapshot.writtenAtMs === last.written_at_ms && snapshot.seq !== null && last.seq !== null && snapshot.seq < last.seq;
      if (older || tieOlder) return { status: 'stale', counts, last } as const;
    }

    for (const entry of snapshot.entries) {
      if (entry.status === 'unknown') {
        counts.skipped++;
        continue;
      }
      const sup = MULTIBYTE_SUP[entry.status];
      const evidence = entry.evidence ?? null;
      const key = entry.public_key;
      if (stmts.updateActive.run(sup, evidence, key, sup, evidence).changes > 0) counts.updatedActive++;
      else if (stmts.updateInactive && stmts.updateInactive.run(sup, evidence, key, sup, evidence).changes > 0) counts.updatedInactive++;
      else if (stmts.exists.get(key, key) !== undefined) counts.alreadyCurrent++;
      else counts.notFound++;
    }

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
      forced: forced ? 1 : 0,
      duration_ms: performance.now() - started,
      file_identity: JSON.stringify(read.identity),
    });
    return { status: 'applied', counts, ledgerId, forced } as const;
  });
  return run.immediate();
}
