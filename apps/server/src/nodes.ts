// GET /api/nodes: nodes of both tables with the capability the ingestor persisted. This is
// the plain way, SQL per request; node-listing.ts answers from memory, and a differential
// test holds the two equal.
import type { NodeRecord } from '@mbcap/dbschema';
import { MULTIBYTE_SUP, statusOfSup, type MultibyteStatus } from '@mbcap/snapshot';
import type { ServerDatabase } from './database.js';

export type NodeQuery = { status: MultibyteStatus | null; limit: number; offset: number };

/** A node's largest hash size as the last cycle computed it, or null (no cycle yet, a node since). */
export type HashSizeOf = (publicKey: string) => number | null;

export type ApiNode = Omit<NodeRecord, 'multibyte_sup' | 'multibyte_evidence'> & {
  inactive: boolean;
  /** Field names and values as in the upstream API: evidence "" for unknown. */
  multi_byte_status: MultibyteStatus;
  multi_byte_evidence: string | null;
  multi_byte_max_hash_size: number | null;
};

export type NodeTableName = 'nodes' | 'inactive_nodes';

/** The columns read, in the order of the answer. */
export const NODE_SELECT = 'SELECT public_key, name, role, lat, lon, last_seen, first_seen, advert_count, multibyte_sup, multibyte_evidence FROM';

// The rows of each status, as statusOfSup reads a row
const WHERE_STATUS: Record<MultibyteStatus, string> = {
  unknown: `coalesce(multibyte_sup, ${MULTIBYTE_SUP.unknown}) NOT IN (${MULTIBYTE_SUP.suspected}, ${MULTIBYTE_SUP.confirmed})`,
  suspected: `multibyte_sup = ${MULTIBYTE_SUP.suspected}`,
  confirmed: `multibyte_sup = ${MULTIBYTE_SUP.confirmed}`,
};

/** One row as the API gives it. */
export function apiNode({ multibyte_sup, multibyte_evidence, ...row }: NodeRecord, table: NodeTableName, hashSizeOf: HashSizeOf): ApiNode {
  const status = statusOfSup(multibyte_sup);
  return {
    ...row,
    inactive: table === 'inactive_nodes',
    multi_byte_status: status,
    multi_byte_evidence: multibyte_evidence ?? (status === 'unknown' ? '' : null),
    multi_byte_max_hash_size: hashSizeOf(row.public_key),
  };
}

export function nodeTables(source: ServerDatabase): readonly NodeTableName[] {
  return source.hasInactive ? ['nodes', 'inactive_nodes'] : ['nodes'];
}

/**
 * Active nodes first, then inactive ones, each in key order: paged across the two tables
 * through their primary-key indexes, so no request sorts the union of both.
 */
export function listNodes(source: ServerDatabase, query: NodeQuery, hashSizeOf: HashSizeOf = () => null): { total: number; nodes: ApiNode[] } {
  const { db } = source;
  const where = query.status === null ? '' : `WHERE ${WHERE_STATUS[query.status]}`;
  const nodes: ApiNode[] = [];
  let total = 0;
  let skip = query.offset;
  for (const table of nodeTables(source)) {
    const count = db.prepare(`SELECT count(*) FROM ${table} ${where}`).pluck().get() as number;
    total += count;
    const want = query.limit - nodes.length;
    if (want > 0 && skip < count) {
      const rows = db.prepare(`${NODE_SELECT} ${table} ${where} ORDER BY public_key LIMIT ? OFFSET ?`).all(want, skip) as NodeRecord[];
      for (const row of rows) nodes.push(apiNode(row, table, hashSizeOf));
    }
    skip = Math.max(0, skip - count);
  }
  return { total, nodes };
}

/** One node by its key (exactly as stored, else ignoring case), the plain way. */
export function findNode(source: ServerDatabase, key: string, hashSizeOf: HashSizeOf = () => null): ApiNode | null {
  for (const exact of [true, false]) {
    for (const table of nodeTables(source)) {
      const where = exact ? 'public_key = ?' : 'lower(public_key) = lower(?)';
      const row = source.db.prepare(`${NODE_SELECT} ${table} WHERE ${where} ORDER BY public_key LIMIT 1`).get(key) as NodeRecord | undefined;
      if (row) return apiNode(row, table, hashSizeOf);
    }
  }
  return null;
}
