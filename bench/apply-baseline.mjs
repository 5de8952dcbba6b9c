// The baseline of the apply benchmark: parse the snapshot file and run a bare prepared
// UPDATE loop in one transaction, nodes first, then inactive_nodes for the keys not found.
// node bench/apply-baseline.mjs DB SNAPSHOT → {"ms": …, "updated": …}
import { readFileSync } from 'node:fs';
import Database from 'better-sqlite3';

const [dbPath, file] = process.argv.slice(2);
const db = new Database(dbPath);
const started = performance.now();
const { entries } = JSON.parse(readFileSync(file, 'utf8'));
const sup = { confirmed: 2, suspected: 1 };
const active = db.prepare('UPDATE nodes SET multibyte_sup = ?, multibyte_evidence = ? WHERE public_key = ?');
const inactive = db.prepare('UPDATE inactive_nodes SET multibyte_sup = ?, multibyte_evidence = ? WHERE public_key = ?');
let updated = 0;
db.transaction(() => {
  for (const e of entries) {
    if (e.status === 'unknown') continue;
    const value = sup[e.status];
    const evidence = e.evidence ?? null;
    if (active.run(value, evidence, e.public_key).changes === 0) updated += inactive.run(value, evidence, e.public_key).changes;
    else updated++;
  }
})();
console.log(JSON.stringify({ ms: performance.now() - started, updated }));
db.close();
