// `run`'s cycle, in its worker thread: bring the incremental result up to the database
// (incremental.ts), then publish only when the entries differ from the snapshot on disk,
// and never sooner than --min-interval after the last write. A cycle that changes nothing
// costs the new rows, one look at the snapshot's identity and two small ledger queries.
import type { HmacKey } from '@mbcap/handoff';
import type { MbcapEntry } from '@mbcap/snapshot';
import { encodeEntries } from './entries-json.js';
import { createIncremental, type Step } from './incremental.js';
import { copyKept, keptPatch, type KeptEvidence } from './kept.js';
import { cycleRecord, failedRecord, snapshotEntries, writeEntries, type PublishOutcome } from './publish-cycle.js';
import { createUnchangedCheck, entriesDigest } from './unchanged.js';

/** Rows deleted from the middle of the table are noticed within this long (incremental.ts). */
export const COUNT_EVERY_MS = 5000;

export type RunCycleOptions = {
  windowMs: number | null;
  /** Least time between two snapshots written, in ms. */
  minIntervalMs: number;
  /** A full pass at least this often, in ms. */
  resyncMs: number;
  hmacKey?: HmacKey;
};

export type RunCycle = {
  /** One cycle; `refreshNodes` re-reads every node row (names, roles, last seen). Never throws. */
  cycle(options?: { refreshNodes?: boolean }): Promise<PublishOutcome>;
  close(): void;
};

export function createRunCycle(dbPath: string, options: RunCycleOptions): RunCycle {
  const incremental = createIncremental({ dbPath, windowMs: options.windowMs, resyncMs: options.resyncMs, countEveryMs: COUNT_EVERY_MS });
  const unchanged = createUnchangedCheck(dbPath, { hmacKey: options.hmacKey });
  let digest: string | null = null;
  let lastWrite = -Infinity;
  // The API has not yet been sent the current entries, or explanations
  let entriesUnsent = true;
  let keptUnsent = true;

  async function cycle({ refreshNodes = false } = {}): Promise<PublishOutcome> {
    const started = performance.now();
    const at = new Date().toISOString();
    const elapsed = () => Math.round((performance.now() - started) * 10) / 10;
    try {
      const now = Date.now();
      let step: Step;
      try {
        step = incremental.step(now, { refreshNodes });
      } catch (error) {
        // The next cycle starts from a full pass: the index may be half way through a step
        incremental.reset(`the last cycle failed (${error instanceof Error ? error.message : String(error)})`);
        digest = null;
        entriesUnsent = true;
        keptUnsent = true;
        throw error;
      }
      const result = incremental.result();
      // The snapshot's entries, made once in a cycle, when the digest or the write needs them
      let entries: MbcapEntry[] | null = null;
      const snapshot = () => (entries ??= snapshotEntries(result));
      if (step.entriesChanged) entriesUnsent = true;
      if (step.keptChanged) keptUnsent = true;
      if (step.statusChanged || digest === null) digest = entriesDigest(snapshot());

      const source = incremental.source();
      const same = await unchanged.seqIfSame(source.db, digest);
      let written: { seq: number | null; path: string | null } = { seq: same, path: null };
      let deferredMs: number | null = null;
      if (same === null) {
        // The monotonic clock: the wall clock stepping back must not hold a publish back
        const wait = lastWrite + options.minIntervalMs - performance.now();
        if (wait > 0) deferredMs = Math.ceil(wait);
        else {
          const done = await writeEntries(dbPath, source, snapshot(), options.hmacKey);
          unchanged.wrote(done, digest);
          written = done;
          lastWrite = performance.now();
        }
      }
      const record = cycleRecord(at, result, written, { durationMs: elapsed(), unchanged: same !== null, fullPass: step.full, deferredMs });
      // What the API serves never runs ahead of the disk: nothing is sent while a change waits
      const sendEntries = deferredMs === null && entriesUnsent;
      const sendKept = deferredMs === null && keptUnsent;
      if (sendEntries) entriesUnsent = false;
      if (sendKept) keptUnsent = false;
      const asOf = { since: result.kept!.since, computedAt: result.kept!.computedAt };
      return {
        record,
        entriesJson: sendEntries ? encodeEntries(result.entries) : null,
        ...keptToSend(sendKept, result.kept!, asOf),
        asOf,
      };
    } catch (error) {
      return { record: failedRecord(at, elapsed(), error), entriesJson: null, kept: null, keptPatch: null, asOf: null };
    }
  }

  /** The whole state after a rebuild, else only the nodes that changed. */
  function keptToSend(send: boolean, kept: KeptEvidence, asOf: { since: number | null; computedAt: number }): Pick<PublishOutcome, 'kept' | 'keptPatch'> {
    if (!send) return { kept: null, keptPatch: null };
    const changed = incremental.takeKeptChanges();
    return changed === 'all' ? { kept: copyKept(kept, asOf), keptPatch: null } : { kept: null, keptPatch: keptPatch(kept, changed) };
  }

  return { cycle, close: () => incremental.close() };
}
