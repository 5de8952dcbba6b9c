// One publish: compute every node's capability, then write the snapshot durably (temp file,
// fsync, rename, directory fsync). `run` does it in its worker thread every cycle and
// `publish` once, inline: the same code either way.
import type { HmacKey } from '@mbcap/handoff';
import { snapshotPath, writeSnapshot, type MbcapEntry } from '@mbcap/snapshot';
import { computeCapabilities, type ComputeResult } from './compute.js';
import type { ServerDatabase } from './database.js';
import { encodeEntries, type EntriesJson } from './entries-json.js';
import type { KeptEvidence } from './kept.js';
import { lastAppliedSeq } from './ledger.js';
import type { SkippedRows } from './node-keys.js';
import { entriesDigest, unchangedSeq } from './unchanged.js';

export type PublishRecord = {
  at: string;
  seq: number | null;
  path: string | null;
  counts: ComputeResult['counts'] | null;
  entries: number;
  /** Packets inside the window. */
  packets: number;
  /** Packets read, inside the window or not. */
  packetsRead: number;
  /** Node rows left out because their key cannot name an entry. */
  skippedRows: SkippedRows | null;
  /** From the start of the cycle until the snapshot is durable on disk. */
  durationMs: number;
  /** Nothing was written: the snapshot on disk (`seq`) already holds these entries. */
  unchanged: boolean;
  error: string | null;
};

export type PublishOutcome = {
  record: PublishRecord;
  /** The computed entries (with name, role, …) as a UTF-8 JSON array, when asked for and published. */
  entriesJson: EntriesJson | null;
  /** What explains each node's status, when asked for and published. */
  kept: KeptEvidence | null;
};

export type PublishOptions = {
  /** How far back packets count, in ms; null = all of them. */
  windowMs: number | null;
  hmacKey?: HmacKey;
  /** Also return the entries for the HTTP API. */
  entriesJson?: boolean;
  /** Also keep and return what explains each node's status, for the HTTP API. */
  keep?: boolean;
  /** Write nothing when the snapshot on disk already holds these entries (unchanged.ts). */
  skipUnchanged?: boolean;
};

/** Never throws: a failure is a record with `error` set, and the previous snapshot stays. */
export async function publishCycle(open: () => ServerDatabase, dbPath: string, options: PublishOptions): Promise<PublishOutcome> {
  const started = performance.now();
  const at = new Date().toISOString();
  const elapsed = () => Math.round((performance.now() - started) * 10) / 10;
  try {
    const source = open();
    const result = computeCapabilities(source, { windowMs: options.windowMs, keep: options.keep });
    const entries: MbcapEntry[] = result.entries.map((e) =>
      e.evidence ? { public_key: e.public_key, status: e.status, evidence: e.evidence } : { public_key: e.public_key, status: e.status },
    );
    const same = options.skipUnchanged ? await unchangedSeq(dbPath, source.db, entriesDigest(entries), { hmacKey: options.hmacKey }) : null;
    // Above every seq the ingestor applied, read just before the write: an apply may have
    // happened during the compute
    const written =
      same === null
        ? await writeSnapshot(dbPath, { entries }, { hmacKey: options.hmacKey, minSeq: lastAppliedSeq(source.db) })
        : { seq: same, path: snapshotPath(dbPath) };
    const record: PublishRecord = {
      at,
      seq: written.seq,
      path: written.path,
      counts: result.counts,
      entries: entries.length,
      packets: result.stats.inWindow,
      packetsRead: result.stats.packets,
      skippedRows: result.skippedRows,
      durationMs: elapsed(),
      unchanged: same !== null,
      error: null,
    };
    // Only once the file is durable: what the API serves never runs ahead of the disk
    const entriesJson = options.entriesJson ? encodeEntries(result.entries) : null;
    return { record, entriesJson, kept: result.kept };
  } catch (error) {
    return { record: failedRecord(at, elapsed(), error), entriesJson: null, kept: null };
  }
}

export function failedRecord(at: string, durationMs: number, error: unknown): PublishRecord {
  const message = error instanceof Error ? error.message : String(error);
  return { at, seq: null, path: null, counts: null, entries: 0, packets: 0, packetsRead: 0, skippedRows: null, durationMs, unchanged: false, error: message };
}
