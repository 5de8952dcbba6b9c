// A public key must live in exactly one of nodes / inactive_nodes. migrate() never moves
// rows between them; this only finds the keys that break the rule, for a warning.

import type { Database } from 'better-sqlite3';
import { hasColumn } from './introspect.js';

/** Keys stored (exactly, same case) in both nodes and inactive_nodes, sorted; [] if either is absent. */
export function duplicateKeys(db: Database): string[] {
  if (!hasColumn(db, 'nodes', 'public_key') || !hasColumn(db, 'inactive_nodes', 'public_key')) {
    return [];
  }
  return db
    .prepare('SELECT n.public_key FROM main.nodes AS n JOIN main.inactive_nodes AS i ON i.public_key = n.public_key ORDER BY n.public_key')
    .pluck()
    .all() as string[];
}
