// One maintenance tick: read the current snapshot and apply it. Every outcome is a value
// (never a throw) so the loop around it keeps running.
import type { Database } from 'better-sqlite3';
import { checkSchema } from '@mbcap/dbschema';
import { sameIdentity, SnapshotError, type FileIdentity, type HmacKey, type ReadResult } from '@mbcap/handoff';
import { mbcapHandoff, type MbcapEntry } from '@mbcap/snapshot';
import { lastApplied } from './ledger.js';
import { applySnapshot, type ApplyCounts, type ApplyOptions } from './apply.js';
import { clockBehindMs, DEFAULT_MAX_FUTURE_MS } from './apply-rule.js';
import { formatDuration } from '@mbcap/cli';

export type TickStatus = 'applied' | 'unchanged' | 'no-snapshot' | 'malformed' | 'schema-missing' | 'stale' | 'timed-out';

export type TickOutcome = ApplyCounts & {
  status: TickStatus;
  durationMs: number;
  seq: number | null;
  writtenAt: string | null;
  contentHash: string | null;
  /** Why nothing was applied, in words (malformed, stale, schema-missing). */
  reason?: string;
  /** For malformed: the SnapshotError code, or FUTURE for a writtenAt too far ahead. */
  code?: string;
  /** For malformed: where a copy of the refused file was kept. */
  copy?: string | null;
  /** For malformed: why no copy was kept (a hard-linked file, an unsafe rejected/ directory). */
  copyNote?: string;
  /** For schema-missing: the missing tables and columns. */
  missing?: string[];
  forced?: boolean;
  /** For applied: ms from the snapshot's writtenAt to the commit. */
  lagMs?: number;
  /**
   * For applied: how much earlier than the previous applied snapshot this one was written
   * (it was newer by its seq: the publisher's clock stepped back).
   */
  clockStepMs?: number;
  /** For stale: how far this host's clock is behind the last applied writtenAt. */
  clockBehindMs?: number;
  /** For unchanged: when it was applied. */
  appliedAt?: string;
  /** For timed-out: the time limit the apply reached (--max-apply-time), in ms. */
  limitMs?: number;
};

export type TickOptions = ApplyOptions & {
  hmacKey?: HmacKey;
  maxBytes?: number;
  /** Keep copies of refused files (default true). */
  keepRejected?: boolean;
};

const ZERO: ApplyCounts = { read: 0, updatedActive: 0, updatedInactive: 0, alreadyCurrent: 0, keptHigher: 0, skipped: 0, invalid: 0, notFound: 0 };

function outcome(status: TickStatus, counts: ApplyCounts, started: number, read: ReadResult<MbcapEntry> | null, extra: Partial<TickOutcome> = {}): TickOutcome {
  return {
    status,
    ...counts,
    durationMs: Math.round((performance.now() - started) * 100) / 100,
    seq: read?.snapshot.seq ?? null,
    writtenAt: read?.snapshot.writtenAt ?? null,
    contentHash: read?.contentHash ?? null,
    ...extra,
  };
}

/** Reads the snapshot beside `dbPath` and applies it (the `apply` command, the cron tick). */
export async function tick(db: Database, dbPath: string, options: TickOptions = {}): Promise<TickOutcome> {
  const started = performance.now();
  const missing = checkSchema(db, 'apply').missing;
  if (missing.length) return outcome('schema-missing', ZERO, started, null, { missing, reason: `missing ${missing.join(', ')}` });

  // The file applied last, untouched since: unchanged, without reading a byte of it
  if (!options.force) {
    const last = lastApplied(db);
    let identity: FileIdentity | null = null;
    try {
      identity = mbcapHandoff.identity(dbPath);
    } catch {
      // unreadable: the read below says why
    }
    if (last?.file_identity && identity && sameIdentity(JSON.parse(last.file_identity) as FileIdentity, identity)) {
      return {
        ...outcome('unchanged', { ...ZERO, read: last.entries_read }, started, null, {
          appliedAt: last.applied_at,
          reason: `already applied at ${last.applied_at}`,
        }),
        seq: last.seq,
        writtenAt: last.written_at,
        contentHash: last.content_hash,
      };
    }
  }

  let read: ReadResult<MbcapEntry>;
  try {
    read = await mbcapHandoff.read(dbPath, { hmacKey: options.hmacKey, maxBytes: options.maxBytes });
  } catch (error) {
    if (!(error instanceof SnapshotError)) throw error;
    if (error.code === 'NOT_FOUND') return outcome('no-snapshot', ZERO, started, null);
    let copy: string | null = null;
    let copyNote: string | undefined;
    if (options.keepRejected !== false) {
      try {
        copy = await mbcapHandoff.keepRejected(dbPath, error);
      } catch (cause) {
        copyNote = `no copy kept: ${(cause as Error).message}`;
      }
    }
    return outcome('malformed', ZERO, started, null, { code: error.code, reason: error.message, copy, ...(copyNote ? { copyNote } : {}) });
  }
  return applyChecked(db, read, options, started);
}

/** Applies a snapshot already read (the watch path of `run`). */
export function applyRead(db: Database, read: ReadResult<MbcapEntry>, options: ApplyOptions = {}): TickOutcome {
  const started = performance.now();
  const missing = checkSchema(db, 'apply').missing;
  if (missing.length) return outcome('schema-missing', ZERO, started, null, { missing, reason: `missing ${missing.join(', ')}` });
  return applyChecked(db, read, options, started);
}

function applyChecked(db: Database, read: ReadResult<MbcapEntry>, options: ApplyOptions, started: number): TickOutcome {
  const decision = applySnapshot(db, read, options);
  switch (decision.status) {
    case 'applied': {
      const previous = decision.previous;
      const step = previous === null ? 0 : previous.written_at_ms - read.snapshot.writtenAtMs;
      return outcome('applied', decision.counts, started, read, {
        forced: decision.forced,
        lagMs: Date.now() - read.snapshot.writtenAtMs,
        ...(step > 0 ? { clockStepMs: step } : {}),
      });
    }
    case 'unchanged':
      return outcome('unchanged', decision.counts, started, read, { appliedAt: decision.appliedAt, reason: `already applied at ${decision.appliedAt}` });
    case 'stale': {
      const behind = clockBehindMs(decision.last, (options.now ?? Date.now)());
      return outcome('stale', decision.counts, started, read, {
        ...(behind > 0 ? { clockBehindMs: behind } : {}),
        reason: `written ${read.snapshot.writtenAt}${read.snapshot.seq === null ? '' : ` (seq ${read.snapshot.seq})`}, before the last applied snapshot, written ${decision.last.written_at}${decision.last.seq === null ? '' : ` (seq ${decision.last.seq})`}`,
      });
    }
    case 'future':
      return outcome('malformed', decision.counts, started, read, {
        code: 'FUTURE',
        reason: `writtenAt ${read.snapshot.writtenAt} is ${Math.round(decision.aheadMs / 1000)} s ahead of this clock, more than the ${formatDuration(options.maxFutureMs ?? DEFAULT_MAX_FUTURE_MS)} --max-future allows; check the publisher's clock (NTP), or raise --max-future`,
      });
    case 'timed-out':
      return outcome('timed-out', decision.counts, started, read, {
        limitMs: decision.limitMs,
        reason: 'the apply went past its time limit and was rolled back',
      });
  }
}
