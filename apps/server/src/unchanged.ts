// Whether a cycle's entries are already what the handoff holds, so that `run` publishes
// nothing: no file, no apply. The file on disk is the reference, not this process's memory,
// so a restart or a dead publish thread changes nothing, and whatever happened to the file
// shows: deleted, replaced by garbage, an older copy put back, another key.
import { createHash } from 'node:crypto';
import type { Database } from 'better-sqlite3';
import { hasTable } from '@mbcap/dbschema';
import { sameIdentity, type FileIdentity, type HmacKey } from '@mbcap/handoff';
import { mbcapHandoff, readSnapshot, type MbcapEntry } from '@mbcap/snapshot';
import { lastAppliedSeq } from './ledger.js';

/** A digest of what the ingestor acts on: each entry's key, status and evidence, in order. */
export function entriesDigest(entries: Iterable<MbcapEntry>): string {
  const hash = createHash('sha256');
  for (const e of entries) hash.update(`${e.public_key}\t${e.status}\t${e.evidence ?? ''}\n`);
  return hash.digest('hex');
}

export type UnchangedCheck = {
  /**
   * The seq of the snapshot on disk when it holds exactly the entries of `digest` and still
   * reaches the ingestor, else null (publish): the file verifies and has no invalid entry,
   * it carries a seq no lower than the last one applied (a lower one would be refused as
   * stale), and no `reset` ran after it was written (the next snapshot may raise those rows
   * again).
   */
  seqIfSame(db: Database, digest: string): Promise<number | null>;
  /** This process just wrote `digest`'s entries as `written`: remembered without reading the file back, when the file there is still that write. */
  wrote(written: { seq: number; writtenAt: string; checksum: string }, digest: string): void;
};

type Known = { identity: FileIdentity; digest: string | null; seq: number | null; writtenAtMs: number };

/**
 * The file is read and verified once per content: while its identity (place, size, times
 * and trailer checksum) stays the same, what was read of it is remembered, so a step that
 * changes nothing costs one open and one small read, not the whole file.
 */
export function createUnchangedCheck(dbPath: string, options: { hmacKey?: HmacKey }): UnchangedCheck {
  let known: Known | null = null;
  async function current(): Promise<Known | null> {
    if (known !== null && sameIdentity(mbcapHandoff.identity(dbPath), known.identity)) return known;
    known = null;
    let read;
    try {
      read = await readSnapshot(dbPath, { hmacKey: options.hmacKey });
    } catch {
      return null;
    }
    const { snapshot } = read;
    known = {
      identity: read.identity,
      digest: read.invalid > 0 ? null : entriesDigest(snapshot.entries),
      seq: snapshot.seq,
      writtenAtMs: snapshot.writtenAtMs,
    };
    return known;
  }
  return {
    wrote(written, digest) {
      const identity = mbcapHandoff.identity(dbPath);
      known = identity?.checksum === written.checksum ? { identity, digest, seq: written.seq, writtenAtMs: Date.parse(written.writtenAt) } : null;
    },
    async seqIfSame(db, digest) {
      const file = await current();
      if (file === null || file.digest !== digest || file.seq === null || file.seq < lastAppliedSeq(db)) return null;
      return lastResetMs(db) >= file.writtenAtMs ? null : file.seq;
    },
  };
}

/** When the last `mbcap-ingestor reset` ran, in ms; -Infinity when none did. */
function lastResetMs(db: Database): number {
  if (!hasTable(db, 'mbcap_resets')) return -Infinity;
  const at = db.prepare('SELECT max(reset_at) FROM mbcap_resets').pluck().get();
  const ms = typeof at === 'string' ? Date.parse(at) : Number.NaN;
  // A reset time that cannot be read is taken as recent: publishing again is the safe side
  return typeof at !== 'string' ? -Infinity : Number.isNaN(ms) ? Infinity : ms;
}
