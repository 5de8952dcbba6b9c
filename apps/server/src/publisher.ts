// What the main thread remembers of the publish cycles, for /healthz, /metrics and
// /api/multibyte-capability. The cycle itself (compute and durable write) runs elsewhere:
// in the worker thread under `run`.
import type { EntriesJson } from './entries-json.js';
import { applyKeptPatch, type KeptEvidence } from './kept.js';
import { failedRecord, type PublishOutcome, type PublishRecord } from './publish-cycle.js';

export type { PublishRecord } from './publish-cycle.js';

export type PublishState = {
  last: PublishRecord | null;
  lastSuccess: PublishRecord | null;
  /** The entries of the last successful publish, confirmed first, as a UTF-8 JSON array. */
  entriesJson: EntriesJson | null;
  /** What explains each node's status, as of the last successful publish. */
  kept: KeptEvidence | null;
  publishes: number;
  /** Cycles that found the snapshot on disk already current and wrote nothing. */
  unchanged: number;
  /** Cycles whose changed result waited for --min-interval. */
  deferred: number;
  /** Cycles that read every transmission, and why the last one did. */
  fullPasses: number;
  lastFullPass: { at: string; reason: string } | null;
  failures: number;
  /**
   * The seq of each successful cycle and when it started, oldest first, one per seq and
   * at most RECENT_KEPT: how long the oldest one the ingestor has not applied has waited.
   */
  recent: { seq: number; at: string }[];
};

const RECENT_KEPT = 1000;

export type Publisher = {
  state: PublishState;
  publish(): Promise<PublishRecord>;
};

/** The state before any cycle. */
export function emptyPublishState(): PublishState {
  return {
    last: null,
    lastSuccess: null,
    entriesJson: null,
    kept: null,
    publishes: 0,
    unchanged: 0,
    deferred: 0,
    fullPasses: 0,
    lastFullPass: null,
    failures: 0,
    recent: [],
  };
}

/** A publisher over `run`, which performs one whole cycle and reports its outcome. */
export function createPublisher(run: () => Promise<PublishOutcome>): Publisher {
  const state = emptyPublishState();

  async function publish(): Promise<PublishRecord> {
    const at = new Date().toISOString();
    const started = performance.now();
    let outcome: PublishOutcome;
    try {
      outcome = await run();
    } catch (error) {
      // The thread running the cycle failed as a whole (it died, or could not start)
      outcome = {
        record: failedRecord(at, Math.round((performance.now() - started) * 10) / 10, error),
        entriesJson: null,
        kept: null,
        keptPatch: null,
        asOf: null,
      };
    }
    const { record } = outcome;
    state.last = record;
    if (record.fullPass !== null) {
      state.fullPasses++;
      state.lastFullPass = { at: record.at, reason: record.fullPass };
    }
    if (record.error === null && record.deferredMs !== null) {
      state.deferred++;
    } else if (record.error === null) {
      if (record.unchanged) state.unchanged++;
      else state.publishes++;
      state.lastSuccess = record;
      // Sent only when they changed; else the window and the time move on
      if (outcome.entriesJson !== null) state.entriesJson = outcome.entriesJson;
      if (outcome.kept !== null) state.kept = outcome.kept;
      else if (state.kept !== null && outcome.keptPatch !== null) applyKeptPatch(state.kept, outcome.keptPatch);
      if (state.kept !== null && outcome.asOf !== null) state.kept = { ...state.kept, ...outcome.asOf };
      if (record.seq !== null && state.recent.at(-1)?.seq !== record.seq) {
        state.recent.push({ seq: record.seq, at: record.at });
        if (state.recent.length > RECENT_KEPT) state.recent.shift();
      }
    } else {
      state.failures++;
    }
    return record;
  }

  return { state, publish };
}
