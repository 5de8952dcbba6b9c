// Clearing values: the operator's explicit act (`mbcap-ingestor reset`). A snapshot only
// ever raises a stored value (apply-rule.ts); this is the one way back to unknown. The chosen
// rows of nodes and inactive_nodes, and the record of it (`mbcap_resets`), are written in
// one IMMEDIATE transaction.
//
// The ledger is left alone: the snapshot applied last stays "applied", so `apply` and
// `run` call it unchanged and do not raise the cleared rows again until the next publish
// (a new snapshot) or `apply --force`.
import type { Database } from 'better-sqlite3';
import { hasTable } from '@mbcap/dbschema';
import { MULTIBYTE_SUP } from '@mbcap/snapshot';

/** The statuses a reset can be limited to. */
export const RESET_STATUSES = ['suspected', 'confirmed'] as const;
export type ResetStatus = (typeof RESET_STATUSES)[number];

export type ResetRequest = {
  /** The keys to clear, matched exactly as stored; null for every row. */
  keys: readonly string[] | null;
  /** Clear only rows holding this status; null for any value other than unknown. */
  status: ResetStatus | null;
  now?: () => number;
};

export type ResetReport = {
  id: number;
  resetAt: string;
  keys: string[] | null;
  status: ResetStatus | null;
  resetActive: number;
  resetInactive: number;
  /** Of the keys asked for, those in neither table. */
  notFound: string[];
};

const TABLES = ['nodes', 'inactive_nodes'] as const;
const CLEAR = 'SET multibyte_sup = 0, multibyte_evidence = NULL';

/** Sets the chosen rows back to unknown (multibyte_sup 0, multibyte_evidence NULL) and records it. */
export function resetValues(db: Database, request: ResetRequest): ResetReport {
  const keys = request.keys === null ? null : [...new Set(request.keys)];
  const status = request.status;
  if (status !== null && !RESET_STATUSES.includes(status))
    throw new RangeError(`Expected the status to be suspected or confirmed, got ${JSON.stringify(status)}`);
  const now = request.now ?? Date.now;

  // Rows to touch: those holding the status asked for, or any not already unknown
  const held = status === null ? 'NOT (multibyte_sup IS 0 AND multibyte_evidence IS NULL)' : `multibyte_sup = ${MULTIBYTE_SUP[status]}`;
  const tables = TABLES.filter((t) => hasTable(db, t));

  return db
    .transaction((): ResetReport => {
      const changed = TABLES.map((table) => {
        if (!tables.includes(table)) return 0;
        if (keys === null) return db.prepare(`UPDATE ${table} ${CLEAR} WHERE ${held}`).run().changes;
        const update = db.prepare(`UPDATE ${table} ${CLEAR} WHERE public_key = ? COLLATE BINARY AND ${held}`);
        let n = 0;
        for (const key of keys) n += update.run(key).changes;
        return n;
      });
      const notFound: string[] = [];
      if (keys !== null) {
        const exists = db.prepare(`${tables.map((table) => `SELECT 1 FROM ${table} WHERE public_key = ? COLLATE BINARY`).join(' UNION ALL ')} LIMIT 1`).pluck();
        for (const key of keys) if (exists.get(...tables.map(() => key)) === undefined) notFound.push(key);
      }
      const resetAt = new Date(now()).toISOString();
      const id = Number(
        db
          .prepare('INSERT INTO mbcap_resets (reset_at, keys, status, reset_active, reset_inactive, not_found) VALUES (?, ?, ?, ?, ?, ?)')
          .run(resetAt, keys === null ? null : JSON.stringify(keys), status, changed[0], changed[1], notFound.length).lastInsertRowid,
      );
      return { id, resetAt, keys, status, resetActive: changed[0]!, resetInactive: changed[1]!, notFound };
    })
    .immediate();
}
