// The publish cycle (compute, then write the snapshot) and what it remembers for the
// health endpoint and the metrics.
import { writeSnapshot, type HmacKey, type MbcapEntry } from '@mbcap/snapshot';
import type { CapabilityEntry } from './capability.js';
import type { ComputeResult } from './compute.js';

export type PublishRecord = {
  at: string;
  seq: number | null;
  path: string | null;
  counts: ComputeResult['counts'] | null;
  entries: number;
  packets: number;
  durationMs: number;
  error: string | null;
};

export type PublishState = {
  last: PublishRecord | null;
  lastSuccess: PublishRecord | null;
  /** The entries of the last successful publish, confirmed first. */
  entries: CapabilityEntry[];
  publishes: number;
  failures: number;
};

export type Publisher = {
  state: PublishState;
  publish(): Promise<PublishRecord>;
};

/** Builds a publisher over `compute` (inline or in a worker). */
export function createPublisher(dbPath: string, compute: () => Promise<ComputeResult>, options: { hmacKey?: HmacKey } = {}): Publisher {
  const state: PublishState = { last: null, lastSuccess: null, entries: [], publishes: 0, failures: 0 };

  async function publish(): Promise<PublishRecord> {
    const started = performance.now();
    const at = new Date().toISOString();
    try {
      const result = await compute();
      const entries: MbcapEntry[] = result.entries.map((e) => (e.evidence ? { public_key: e.public_key, status: e.status, evidence: e.evidence } : { public_key: e.public_key, status: e.status }));
      const written = await writeSnapshot(dbPath, { entries }, { hmacKey: options.hmacKey });
      const record: PublishRecord = {
        at,
        seq: written.seq,
        path: written.path,
        counts: result.counts,
        entries: entries.length,
        packets: result.stats.inWindow,
        durationMs: Math.round((performance.now() - started) * 10) / 10,
        error: null,
      };
      state.publishes++;
      state.last = state.lastSuccess = record;
      state.entries = result.entries;
      return record;
    } catch (error) {
      const record: PublishRecord = { at, seq: null, path: null, counts: null, entries: 0, packets: 0, durationMs: Math.round((performance.now() - started) * 10) / 10, error: (error as Error).message ?? String(error) };
      state.failures++;
      state.last = record;
      return record;
    }
  }

  return { state, publish };
}
