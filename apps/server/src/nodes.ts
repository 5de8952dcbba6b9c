// GET /api/nodes: nodes of both tables with the capability the ingestor persisted.
import type { NodeRecord } from '@mbcap/dbschema';
import type { ServerDatabase } from './database.js';

export const STATUS_OF_SUP = ['unknown', 'suspected', 'confirmed'] as const;
export type NodeStatus = (typeof STATUS_OF_SUP)[number];

export type NodeQuery = { status: NodeStatus | null; limit: number; offset: number };

export type ApiNode = Omit<NodeRecord, 'multibyte_sup' | 'multibyte_evidence'> & {
  inactive: boolean;
  /** Field names as in the upstream API. */
  multi_byte_status: NodeStatus;
  multi_byte_evidence: string | null;
};

const SUP_OF_STATUS: Record<NodeStatus, string> = { unknown: 'coalesce(multibyte_sup, 0) NOT IN (1, 2)', suspected: 'multibyte_sup = 1', confirmed: 'multibyte_sup = 2' };



/**
 * Active nodes first, then inactive ones, each in key order: paged across the two tables
 * through their primary-key indexes, so no request sorts the union of both.
 */
export function listNodes(source: ServerDatabase, query: NodeQuery): { total: number; nodes: ApiNode[] } {
  const { db } = source;
  const where = query.status === null ? '' : `WHERE ${SUP_OF_STATUS[query.status]}`;
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
        .prepare(`SELECT public_key, name, role, lat, lon, last_seen, first_seen, advert_count, multibyte_sup, multibyte_evidence FROM ${table} ${where} ORDER BY public_key LIMIT ? OFFSET ?`)
        .all(want, skip) as NodeRecord[];
      for (const { multibyte_sup, multibyte_evidence, ...row } of rows) {
        nodes.push({ ...row, inactive: table === 'inactive_nodes', multi_byte_status: STATUS_OF_SUP[multibyte_sup === 1 || multibyte_sup === 2 ? multibyte_sup : 0], multi_byte_evidence: multibyte_evidence });
      }
    }
    skip = Math.max(0, skip - count);
  }
  return { total, nodes };
}
