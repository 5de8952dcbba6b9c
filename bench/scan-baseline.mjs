// The baseline of the compute benchmark: a bare better-sqlite3 scan of every row, as arrays
// (`.raw().iterate()`, the cheapest way rows reach JavaScript), over the same columns the
// server reads, doing nothing with them. Prints {"ms": …, "rows": …}.
import Database from 'better-sqlite3';

const db = new Database(process.argv[2], { readonly: true });
const started = performance.now();
let rows = 0;
const scan = db.prepare('SELECT raw_hex, payload_type, decoded_json, first_seen, path_json, rowid FROM transmissions').raw();
for (const row of scan.iterate()) if (row) rows++;
console.log(JSON.stringify({ ms: performance.now() - started, rows }));
db.close();
