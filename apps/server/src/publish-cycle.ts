// One publish: compute every node's capability, then write the snapshot durably (temp file,
// fsync, rename, directory fsync). `publish` does it once, inline, from a full scan; `run`'s
// worker keeps its result current step by step (run-cycle.ts) and writes through the same
// pieces: the entries, the write above the ledger's seq, the record.
import type { HmacKey } from '@mbcap/handoff';
import { writeSnapshot, type MbcapEntry } from '@mbcap/snapshot';
import { computeCapabilities, type ComputeResult } from './compute.js';
import type { ServerDatabase } from './database.js';
import type { EntriesJson } from './entries-json.js';
import type { KeptEvidence, KeptPatch } from './kept.js';
import { lastAppliedSeq } from './ledger.js';
import type { SkippedRows } from './node-keys.js';

export type PublishRecord = {
  at: string;
  seq: number | null;
  path: string | null;
  counts: ComputeResult['counts'] | null;
  entries: number;
  /** Packets read and inside the window. */
  packets: number;
  /** Packets read, inside the window or not: only adverts and multi-byte packets (scan.ts), as no other can be evidence. */
  packetsRead: number;
  /** Node rows left out because their key cannot name an entry. */
  skippedRows: SkippedRows | null;
  /** From the start of the cycle until the snapshot is durable on disk. */
  durationMs: number;
  /** Nothing was written: the snapshot on disk (`seq`) already holds these entries. */
  unchanged: boolean;
  /** Why this cycle read every transmission, or null when it read only the new ones (or is `publish`). */
  fullPass: string | null;
  /** A changed result waits this long for --min-interval before it is published; null when it did not wait. */
  deferredMs: number | null;
  error: string | null;
};

export type PublishOutcome = {
  record: PublishRecord;
  /** The computed entries (with name, role, …) as a UTF-8 JSON array, when asked for and published. */
  entriesJson: EntriesJson | null;
  /** What explains each node's status, whole (after a rebuild)... */
  kept: KeptEvidence | null;
  /** ...or only the nodes whose explanation changed. */
  keptPatch: KeptPatch | null;
  /** The window's start and the time the result stands for, also when nothing else was sent. */
  asOf: { since: number | null; computedAt: number } | null;
};

export type PublishOptions = {
  /** How far back packets count, in ms; null = all of them. */
  windowMs: number | null;
  hmacKey?: HmacKey;
};

/** The snapshot's entries: key, status and evidence of each computed entry. */
export function snapshotEntries(result: ComputeResult): MbcapEntry[] {
  return result.entries.map((e) =>
    e.evidence ? { public_key: e.public_key, status: e.status, evidence: e.evidence } : { public_key: e.public_key, status: e.status },
  );
}

/** Writes the snapshot durably, numbered above every seq the ingestor applied, read just before the write: an apply may have happened during the compute. */
export function writeEntries(dbPath: string, source: ServerDatabase, entries: MbcapEntry[], hmacKey: HmacKey | undefined) {
  return writeSnapshot(dbPath, { entries }, { hmacKey, minSeq: lastAppliedSeq(source.db) });
}

/** The record of a cycle that computed `result` and wrote (or kept) the snapshot `seq`. */
export function cycleRecord(
  at: string,
  result: ComputeResult,
  written: { seq: number | null; path: string | null },
  more: Pick<PublishRecord, 'durationMs' | 'unchanged' | 'fullPass' | 'deferredMs'>,
): PublishRecord {
  return {
    at,
    seq: written.seq,
    path: written.path,
    counts: result.counts,
    entries: result.entries.length,
    packets: result.stats.inWindow,
    packetsRead: result.stats.packets,
    skippedRows: result.skippedRows,
    ...more,
    error: null,
  };
}

/** `publish`: a full computation and a write. Never throws: a failure is a record with `error` set, and the previous snapshot stays. */
export async function publishCycle(source: ServerDatabase, dbPath: string, options: PublishOptions): Promise<PublishOutcome> {
  const started = performance.now();
  const at = new Date().toISOString();
  const elapsed = () => Math.round((performance.now() - started) * 10) / 10;
  try {
    const result = computeCapabilities(source, { windowMs: options.windowMs });
    const written = await writeEntries(dbPath, source, snapshotEntries(result), options.hmacKey);
    const record = cycleRecord(at, result, written, { durationMs: elapsed(), unchanged: false, fullPass: null, deferredMs: null });
    return { record, entriesJson: null, kept: null, keptPatch: null, asOf: null };
  } catch (error) {
    return { record: failedRecord(at, elapsed(), error), entriesJson: null, kept: null, keptPatch: null, asOf: null };
  }
}

export function failedRecord(at: string, durationMs: number, error: unknown): PublishRecord {
  const message = error instanceof Error ? error.message : String(error);
  return {
    at,
    seq: null,
    path: null,
    counts: null,
    entries: 0,
    packets: 0,
    packetsRead: 0,
    skippedRows: null,
    durationMs,
    unchanged: false,
    fullPass: null,
    deferredMs: null,
    error: message,
  };
}
