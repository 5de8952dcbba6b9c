// Whether a cycle's entries are already what the handoff holds, so that `run` publishes
// nothing: no file, no apply. The file on disk is the reference, not this process's memory,
// so a restart or a dead publish thread changes nothing, and whatever happened to the file
// shows: deleted, replaced by garbage, an older copy put back, another key.
import { createHash } from 'node:crypto';
import type { Database } from 'better-sqlite3';
import { hasTable } from '@mbcap/dbschema';
import type { HmacKey } from '@mbcap/handoff';
import { readSnapshot, type MbcapEntry } from '@mbcap/snapshot';
import { lastAppliedSeq } from './ledger.js';

/** A digest of what the ingestor acts on: each entry's key, status and evidence, in order. */
export function entriesDigest(entries: Iterable<MbcapEntry>): string {
  const hash = createHash('sha256');
  for (const e of entries) hash.update(`${e.public_key}\t${e.status}\t${e.evidence ?? ''}\n`);
  return hash.digest('hex');
}

/**
 * The seq of the snapshot on disk when it holds exactly these entries and still reaches the
 * ingestor, else null (publish): the file verifies and has no invalid entry, it carries a
 * seq no lower than the last one applied (a lower one would be refused as stale), and no
 * `reset` ran after it was written (the next snapshot may raise those rows again).
 */
export async function unchangedSeq(dbPath: string, db: Database, digest: string, options: { hmacKey?: HmacKey }): Promise<number | null> {
  let read;
  try {
    read = await readSnapshot(dbPath, { hmacKey: options.hmacKey });
  } catch {
    return null;
  }
  const { snapshot } = read;
  if (read.invalid > 0 || snapshot.seq === null || snapshot.seq < lastAppliedSeq(db)) return null;
  if (lastResetMs(db) >= snapshot.writtenAtMs) return null;
  return entriesDigest(snapshot.entries) === digest ? snapshot.seq : null;
}

/** When the last `mbcap-ingestor reset` ran, in ms; -Infinity when none did. */
function lastResetMs(db: Database): number {
  if (!hasTable(db, 'mbcap_resets')) return -Infinity;
  const at = db.prepare('SELECT max(reset_at) FROM mbcap_resets').pluck().get();
  const ms = typeof at === 'string' ? Date.parse(at) : Number.NaN;
  // A reset time that cannot be read is taken as recent: publishing again is the safe side
  return typeof at !== 'string' ? -Infinity : Number.isNaN(ms) ? Infinity : ms;
}
