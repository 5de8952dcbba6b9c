// What the database says, next to what the generator planted.
import Database from 'better-sqlite3';
import { expectedStatuses, type MeshState } from '@mbcap/meshgen';
import { statusOfSup, type MultibyteStatus as Status } from '@mbcap/snapshot';

export type Tally = Record<'nodes' | 'inactive_nodes', Record<Status, number>>;

type Row = { public_key: string; multibyte_sup: number | null; multibyte_evidence: string | null; inactive: number };

function rows(db: string): Row[] {
  const conn = new Database(db, { readonly: true });
  try {
    return conn
      .prepare(
        'SELECT public_key, multibyte_sup, multibyte_evidence, 0 AS inactive FROM nodes UNION ALL SELECT public_key, multibyte_sup, multibyte_evidence, 1 FROM inactive_nodes',
      )
      .all() as Row[];
  } finally {
    conn.close();
  }
}

const statusOf = (row: Row): Status => statusOfSup(row.multibyte_sup);

/** The multibyte_sup stored for each of `keys` (either table), read-only. */
export function storedSups(db: string, keys: readonly string[]): Map<string, number> {
  const conn = new Database(db, { readonly: true });
  try {
    const sups = new Map<string, number>();
    const find = conn
      .prepare('SELECT multibyte_sup FROM nodes WHERE public_key = ? UNION ALL SELECT multibyte_sup FROM inactive_nodes WHERE public_key = ?')
      .pluck();
    for (const key of keys) sups.set(key, (find.get(key, key) as number | null | undefined) ?? 0);
    return sups;
  } finally {
    conn.close();
  }
}

/** Nodes by status in each table. */
export function tally(db: string): Tally {
  const t: Tally = { nodes: { confirmed: 0, suspected: 0, unknown: 0 }, inactive_nodes: { confirmed: 0, suspected: 0, unknown: 0 } };
  for (const row of rows(db)) t[row.inactive ? 'inactive_nodes' : 'nodes'][statusOf(row)]++;
  return t;
}

/**
 * Compares every generated node's row with the status the generator's rules give for the
 * window ending at `at` (the applied snapshot's time), evidence included; nodes of the
 * real capture (1-byte traffic only) must be unknown. Returns the mismatches in words.
 */
export function verify(db: string, state: MeshState, at: string): { checked: number; mismatches: string[]; planted: Record<Status, number> } {
  const expected = expectedStatuses(state.nodes, state.packets, { now: at, windowMs: state.windowMs });
  const byKey = new Map(rows(db).map((r) => [r.public_key.toLowerCase(), r]));
  const mismatches: string[] = [];
  const planted: Record<Status, number> = { confirmed: 0, suspected: 0, unknown: 0 };
  for (const node of state.nodes) {
    const want = expected[node.publicKey] ?? 'unknown';
    planted[want]++;
    const row = byKey.get(node.publicKey);
    const table = node.inactive ? 'inactive_nodes' : 'nodes';
    if (!row) mismatches.push(`${node.name} (${node.publicKey.slice(0, 8)}…) is missing from the database`);
    else if (Boolean(row.inactive) !== node.inactive) mismatches.push(`${node.name} should be in ${table}`);
    else {
      const evidence = want === 'confirmed' ? 'advert' : want === 'suspected' ? 'path' : null;
      if (statusOf(row) !== want || row.multibyte_evidence !== evidence)
        mismatches.push(
          `${node.name} (${node.publicKey.slice(0, 8)}…, ${table}): expected ${want}, the database says ${statusOf(row)}${row.multibyte_evidence ? `/${row.multibyte_evidence}` : ''}`,
        );
    }
    byKey.delete(node.publicKey);
  }
  for (const row of byKey.values())
    if (statusOf(row) !== 'unknown') mismatches.push(`${row.public_key.slice(0, 8)}… (real capture, 1-byte traffic only) is ${statusOf(row)}`);
  return { checked: state.nodes.length, mismatches, planted };
}
