// GET /api/nodes: nodes of both tables with the capability the ingestor persisted.
import type { NodeRecord } from '@mbcap/dbschema';
import { MULTIBYTE_SUP, statusOfSup, type MultibyteStatus } from '@mbcap/snapshot';
import type { ServerDatabase } from './database.js';

export type NodeQuery = { status: MultibyteStatus | null; limit: number; offset: number };

export type ApiNode = Omit<NodeRecord, 'multibyte_sup' | 'multibyte_evidence'> & {
  inactive: boolean;
  /** Field names as in the upstream API. */
  multi_byte_status: MultibyteStatus;
  multi_byte_evidence: string | null;
};

// The rows of each status, as statusOfSup reads a row
const WHERE_STATUS: Record<MultibyteStatus, string> = {
  unknown: `coalesce(multibyte_sup, ${MULTIBYTE_SUP.unknown}) NOT IN (${MULTIBYTE_SUP.suspected}, ${MULTIBYTE_SUP.confirmed})`,
  suspected: `multibyte_sup = ${MULTIBYTE_SUP.suspected}`,
  confirmed: `multibyte_sup = ${MULTIBYTE_SUP.confirmed}`,
};

/**
 * Active nodes first, then inactive ones, each in key order: paged across the two tables
 * through their primary-key indexes, so no request sorts the union of both.
 */
export function listNodes(source: ServerDatabase, query: NodeQuery): { total: number; nodes: ApiNode[] } {
  const { db } = source;
  const where = query.status === null ? '' : `WHERE ${WHERE_STATUS[query.status]}`;
  const tables = source.hasInactive ? (['nodes', 'inactive_nodes'] as const) : (['nodes'] as const);
  const nodes: ApiNode[] = [];
  let total = 0;
  let skip = query.offset;
  for (const table of tables) {
    const count = db.prepare(`SELECT count(*) FROM ${table} ${where}`).pluck().get() as number;
    total += count;
    const want = query.limit - nodes.length;
    if (want > 0 && skip < count) {
      const rows = db
        .prepare(
          `SELECT public_key, name, role, lat, lon, last_seen, first_seen, advert_count, multibyte_sup, multibyte_evidence FROM ${table} ${where} ORDER BY public_key LIMIT ? OFFSET ?`,
        )
        .all(want, skip) as NodeRecord[];
      for (const { multibyte_sup, multibyte_evidence, ...row } of rows) {
        nodes.push({ ...row, inactive: table === 'inactive_nodes', multi_byte_status: statusOfSup(multibyte_sup), multi_byte_evidence: multibyte_evidence });
      }
    }
    skip = Math.max(0, skip - count);
  }
  return { total, nodes };
}
