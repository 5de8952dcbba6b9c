// The baseline of the compute benchmark: a bare better-sqlite3 iterate() over the same
// columns the server reads, doing nothing with the rows. Prints {"ms": …, "rows": …}.
import Database from 'better-sqlite3';

const db = new Database(process.argv[2], { readonly: true });
const started = performance.now();
let rows = 0;
for (const row of db.prepare('SELECT raw_hex, payload_type, decoded_json, first_seen, path_json FROM transmissions').iterate()) if (row) rows++;
console.log(JSON.stringify({ ms: performance.now() - started, rows }));
db.close();
