#!/usr/bin/env node
// The snapshot key index alone, in its three forms, over the same table:
//   node --expose-gc bench/key-index.mjs [--entries 200000,1000000] [--runs 5] [--json]
//
// hashed: KeyIndex as the apply uses it (keyed HalfSipHash, open addressing).
// sorted: KeyIndex forced to its fallback (maxProbe 0): what keys that collide cost.
// Map:    PlainKeyIndex, the reference: a Map from a prefixed key string to the entry.
// build is the constructor; find is one find() per key, with keys as fresh strings (as
// the scan reads them from each row); memory is the heap and array buffers the
// index adds (after a gc). Keys as the reader packs them: spans of the file's bytes.
import { parseArgs } from 'node:util';
import { EntryTable, KeyIndex, PlainKeyIndex } from '@mbcap/handoff/packed';
import { mbcapCode } from '@mbcap/snapshot';
import { collidingKeys, randomKeys } from './lib/flood-keys.mjs';
import { median, round } from './lib/stats.mjs';

const { values } = parseArgs({
  options: { entries: { type: 'string', default: '200000,1000000' }, runs: { type: 'string', default: '5' }, json: { type: 'boolean', default: false } },
});
const sizes = values.entries.split(',').map(Number);
const runs = Number(values.runs);
const gc = globalThis.gc ?? (() => {});
const CODE = mbcapCode('confirmed', 'advert');

function tableOf(keys) {
  const file = Buffer.from(keys.join(''), 'latin1');
  const table = new EntryTable(file);
  keys.forEach((_, i) => table.pushSpan(64 * i, 64 * (i + 1), CODE));
  // The queries: new strings with the same text, one per database row
  const queries = keys.map((_, i) => file.toString('latin1', 64 * i, 64 * (i + 1)));
  return { table, queries };
}

// The apply's rank (apps/ingestor/src/apply-rule.ts): confirmed none, advert, path; suspected none, advert, path
const STRENGTH = [4, 6, 5, 1, 3, 2];
const rank = (code) => STRENGTH[code] ?? 0;
const forms = {
  hashed: (table) => new KeyIndex(table, { rank }),
  sorted: (table) => new KeyIndex(table, { rank, maxProbe: 0 }),
  Map: (table) => new PlainKeyIndex(table, { rank }),
};

function memory() {
  gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

const results = [];
for (const n of sizes) {
  for (const [keysName, keys] of [
    ['random', randomKeys(n)],
    ['chosen to collide (old hash)', collidingKeys(n)],
  ]) {
    const { table, queries } = tableOf(keys);
    for (const [form, make] of Object.entries(forms)) {
      const build = [];
      const find = [];
      let bytes = 0;
      for (let r = 0; r < runs; r++) {
        const before = memory();
        let t = performance.now();
        const index = make(table);
        build.push(performance.now() - t);
        t = performance.now();
        let found = 0;
        for (const q of queries) if (index.find(q) >= 0) found++;
        find.push(performance.now() - t);
        if (found !== n) throw new Error(`${form} found ${found} of ${n}`);
        bytes = Math.max(bytes, memory() - before);
        if (index.structure && index.structure !== (form === 'sorted' ? 'sorted' : 'hashed')) throw new Error(`${form} built ${index.structure}`);
      }
      results.push({
        entries: n,
        keys: keysName,
        form,
        buildMs: round(median(build)),
        findMs: round(median(find)),
        totalMs: round(median(build) + median(find)),
        memoryMb: round(bytes / 1048576),
      });
    }
  }
}

if (values.json) console.log(JSON.stringify({ what: 'key-index', runs, results }));
else {
  for (const r of results)
    console.log(
      `${r.entries} keys, ${r.keys}, ${r.form}: build ${r.buildMs} ms, ${r.entries} finds ${r.findMs} ms, together ${r.totalMs} ms; ${r.memoryMb} MB`,
    );
}
