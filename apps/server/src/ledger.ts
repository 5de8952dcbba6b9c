// The ingestor's apply ledger (`mbcap_ledger`, one row per applied snapshot), read for one
// number: the highest seq applied. A new snapshot is numbered above it, so a publisher
// whose file was deleted or replaced by garbage does not start again at 1.
import type { Database } from 'better-sqlite3';
import { hasColumn } from '@mbcap/dbschema';

/** max(seq) of the ledger; 0 when the table or the column is missing, or no seq is set. */
export function lastAppliedSeq(db: Database): number {
  // A fresh or legacy database has no ledger yet; the ingestor creates it on migrate
  if (!hasColumn(db, 'mbcap_ledger', 'seq')) return 0;
  const seq = db.prepare("SELECT max(seq) FROM mbcap_ledger WHERE typeof(seq) = 'integer'").pluck().get();
  return typeof seq === 'number' && Number.isSafeInteger(seq) && seq > 0 ? seq : 0;
}
