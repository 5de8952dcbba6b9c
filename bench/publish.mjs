#!/usr/bin/env node
// writeSnapshot against the bare durable write of the same document, in one process:
//   node bench/publish.mjs [--entries 200000] [--runs 5] [--json]
//
// Baseline: JSON.stringify, write a temp file, fsync, rename, fsync the directory: the
// least any durable atomic publish does. Ours adds entry validation, seq, the checksum.
import { mkdtempSync, openSync, writeSync, fsyncSync, closeSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { writeSnapshot } from '@mbcap/snapshot';
import { median, round } from './lib/stats.mjs';

const { values } = parseArgs({
  options: { entries: { type: 'string', default: '200000' }, runs: { type: 'string', default: '5' }, json: { type: 'boolean', default: false } },
});
const N = Number(values.entries);
const runs = Number(values.runs);
const dir = mkdtempSync(join(tmpdir(), 'mbcap-bench-publish-'));
const db = join(dir, 'mesh.db');
const key = (i) => i.toString(16).padStart(64, '0');
const statuses = ['confirmed', 'suspected', 'unknown'];
const entries = Array.from({ length: N }, (_, i) => {
  const status = statuses[i % 3];
  return status === 'unknown' ? { public_key: key(i), status } : { public_key: key(i), status, evidence: status === 'confirmed' ? 'advert' : 'path' };
});

function bare() {
  const started = performance.now();
  const text = JSON.stringify({ writtenAt: new Date().toISOString(), entries });
  const temp = join(dir, 'bare.json.tmp');
  const fd = openSync(temp, 'w', 0o644);
  writeSync(fd, text);
  fsyncSync(fd);
  closeSync(fd);
  renameSync(temp, join(dir, 'bare.json'));
  const dfd = openSync(dir, 'r');
  fsyncSync(dfd);
  closeSync(dfd);
  return performance.now() - started;
}

async function ours() {
  const started = performance.now();
  await writeSnapshot(db, { entries });
  return performance.now() - started;
}

// One of each to warm up, then alternate
bare();
await ours();
const a = [];
const b = [];
for (let i = 0; i < runs; i++) {
  b.push(bare());
  a.push(await ours());
}
rmSync(dir, { recursive: true, force: true });
const result = { what: 'publish', entries: N, runs, oursMs: round(median(a)), baselineMs: round(median(b)), ratio: round(median(a) / median(b), 2) };
if (values.json) console.log(JSON.stringify(result));
else
  console.log(
    `publish, ${N} entries, durable (median of ${runs}): writeSnapshot ${result.oursMs} ms; bare stringify + write + fsync + rename + dir fsync ${result.baselineMs} ms; ratio ${result.ratio} (target <= 1.3)`,
  );
