// One node's explanation from the database: its row and stored value, then one scan of the
// packets (the window decided on parsed times, as in compute.ts) through the explainer.
import { MULTIBYTE_SUP as SUP_OF_STATUS } from '@mbcap/snapshot';
import type { NodeRow } from './capability.js';
import type { ServerDatabase } from './database.js';
import { createExplainer, isNodeKey, type ExplainPacketRow, type Explanation } from './explain.js';
import { keyProblem, type NodeTable } from './node-keys.js';

export type NodeExplanation = Explanation & {
  name: string | null;
  role: string | null;
  window: { start: string | null; computedAt: string };
  stored: { table: NodeTable; multibyte_sup: number | null; multibyte_evidence: string | null };
  /** The stored value is above the computed one: it stays, since a stored value only rises. */
  storedHigher: boolean;
};

/** Thrown for a key that is not 2 to 64 hex digits. */
export class MalformedKeyError extends RangeError {}

export type StoredNode = NodeRow & { multibyte_sup: number | null; multibyte_evidence: string | null; table: NodeTable };

/** Checks `key` (MalformedKeyError) and gives it lowercase. */
export function wantedKey(key: string): string {
  if (!isNodeKey(key))
    throw new MalformedKeyError(`Expected the node key to be 2 to 64 hex digits, got ${JSON.stringify(key.length > 80 ? `${key.slice(0, 80)}…` : key)}`);
  return key.toLowerCase();
}

/** An explanation with the node's row: its name, role and stored value, and the window it covers. */
export function withStored(explanation: Explanation, node: StoredNode, window: { since: number | null; computedAt: number }): NodeExplanation {
  const sup = node.multibyte_sup === 1 || node.multibyte_sup === 2 ? node.multibyte_sup : 0;
  return {
    ...explanation,
    name: node.name ?? null,
    role: node.role ?? null,
    window: { start: window.since === null ? null : new Date(window.since).toISOString(), computedAt: new Date(window.computedAt).toISOString() },
    stored: { table: node.table, multibyte_sup: node.multibyte_sup, multibyte_evidence: node.multibyte_evidence },
    storedHigher: sup > SUP_OF_STATUS[explanation.status],
  };
}

/** null when no node has `key` (ignoring case); MalformedKeyError when it cannot be a key. */
export function explainNode(source: ServerDatabase, key: string, options: { windowMs: number | null; now?: number }): NodeExplanation | null {
  const wanted = wantedKey(key);
  const now = options.now ?? Date.now();
  const since = options.windowMs === null ? null : new Date(now - options.windowMs);
  const { db } = source;

  // Nodes of both tables: the one asked for, and the others for prefix collisions
  const nodes: StoredNode[] = [];
  const tables: NodeTable[] = source.hasInactive ? ['nodes', 'inactive_nodes'] : ['nodes'];
  for (const table of tables) {
    for (const row of db
      .prepare(`SELECT public_key, name, role, last_seen, multibyte_sup, multibyte_evidence FROM ${table}`)
      .iterate() as Iterable<StoredNode>) {
      if (keyProblem(row.public_key) === null) nodes.push({ ...row, table });
    }
  }
  const node = nodes.find((n) => n.public_key.toLowerCase() === wanted);
  if (node === undefined) return null;

  // One scan of the packets
  const explainer = createExplainer(node, nodes, { since });
  const pathJson = source.hasPathJson ? 'path_json' : 'NULL';
  const row: ExplainPacketRow = { raw_hex: '', payload_type: null, decoded_json: null, first_seen: '', path_json: null, hash: '', rowid: 0 };
  const rows = db.prepare(`SELECT raw_hex, payload_type, decoded_json, first_seen, ${pathJson}, hash, rowid FROM transmissions`).raw().iterate();
  for (const [rawHex, payloadType, decodedJson, firstSeen, path, hash, rowid] of rows as Iterable<
    [string, number | null, string | null, string, string | null, string, number]
  >) {
    row.raw_hex = rawHex;
    row.payload_type = payloadType;
    row.decoded_json = decodedJson;
    row.first_seen = firstSeen;
    row.path_json = path;
    row.hash = hash;
    row.rowid = rowid;
    explainer.add(row);
  }

  return withStored(explainer.finish(), node, { since: since?.getTime() ?? null, computedAt: now });
}
