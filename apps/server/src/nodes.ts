// GET /api/nodes: nodes of both tables with the capability the ingestor persisted.
import type { ServerDatabase } from './database.js';

export const STATUS_OF_SUP = ['unknown', 'suspected', 'confirmed'] as const;
export type NodeStatus = (typeof STATUS_OF_SUP)[number];

export type NodeQuery = { status: NodeStatus | null; limit: number; offset: number };

export type ApiNode = {
  public_key: string;
  name: string | null;
  role: string | null;
  lat: number | null;
  lon: number | null;
  last_seen: string | null;
  first_seen: string | null;
  advert_count: number | null;
  inactive: boolean;
  /** Field names as in the upstream API. */
  multi_byte_status: NodeStatus;
  multi_byte_evidence: string | null;
};

const SUP_OF_STATUS: Record<NodeStatus, string> = { unknown: 'coalesce(multibyte_sup, 0) NOT IN (1, 2)', suspected: 'multibyte_sup = 1', confirmed: 'multibyte_sup = 2' };

export function listNodes(source: ServerDatabase, query: NodeQuery): { total: number; nodes: ApiNode[] } {
  const { db } = source;
  const where = query.status === null ? '' : `WHERE ${SUP_OF_STATUS[query.status]}`;
  const select = (table: string, inactive: 0 | 1) =>
    `SELECT public_key, name, role, lat, lon, last_seen, first_seen, advert_count, multibyte_sup, multibyte_evidence, ${inactive} AS inactive FROM ${table} ${where}`;
  const union = source.hasInactive ? `${select('nodes', 0)} UNION ALL ${select('inactive_nodes', 1)}` : select('nodes', 0);
  const total = db.prepare(`SELECT count(*) FROM (${union})`).pluck().get() as number;
  const rows = db.prepare(`${union} ORDER BY inactive, public_key LIMIT ? OFFSET ?`).all(query.limit, query.offset) as (Omit<ApiNode, 'inactive' | 'multi_byte_status' | 'multi_byte_evidence'> & { inactive: number; multibyte_sup: number | null; multibyte_evidence: string | null })[];
  return {
    total,
    nodes: rows.map(({ multibyte_sup, multibyte_evidence, inactive, ...row }) => ({
      ...row,
      inactive: inactive === 1,
      multi_byte_status: STATUS_OF_SUP[multibyte_sup === 1 || multibyte_sup === 2 ? multibyte_sup : 0],
      multi_byte_evidence: multibyte_evidence,
    })),
  };
}
