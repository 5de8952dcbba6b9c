// What the power-loss campaigns share: the directory the activities run in, the
// acknowledgements the processes print, and the checks of a state left by a power cut.
//
// The activities (test/fixtures/reliability/power-activities.mjs): a server publish applied
// by `mbcap-ingestor run`, an `import` batch, a `reset`, with `run` holding the database.
// An acknowledgement is a line a process writes once its work is done: the --json results
// of publish, import and reset, and run's `applied` log line (--log-format json).
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import { readSnapshot } from '@mbcap/snapshot';
import { ingestorBin, repoRoot, run, serverBin } from './proc.mjs';

export const ACTIVITIES_FIXTURE = join(repoRoot, 'test', 'fixtures', 'reliability', 'power-activities.mjs');
const REAL_PACKETS = join(repoRoot, 'apps', 'demo', 'data', 'real-packets.jsonl');

/**
 * A database of `nodes` nodes under `root` with a snapshot published and applied, a file of
 * `packets` real packets to import, and a key holding a value to reset.
 */
export async function prepareActivities(root, shared, { nodes = 40, packets = 30, importFile }) {
  mkdirSync(root, { recursive: true });
  const db = join(root, 'mesh.db');
  await shared.meshDb(nodes, db);
  for (const [bin, args] of [
    [serverBin, ['publish', '--db', db]],
    [ingestorBin, ['apply', '--db', db]],
  ]) {
    const r = await run(bin, args, { timeoutMs: 60_000 });
    if (r.code !== 0) throw new Error(`${args[0]} failed while preparing: ${r.log}`);
  }
  const lines = readFileSync(REAL_PACKETS, 'utf8').split('\n').filter(Boolean);
  writeFileSync(importFile, `${lines.slice(0, packets).join('\n')}\n`);
  const handle = new Database(db, { readonly: true });
  try {
    const key = handle.prepare('SELECT public_key FROM nodes WHERE multibyte_sup > 0 LIMIT 1').pluck().get();
    const transmissions = handle.prepare('SELECT count(*) FROM transmissions').pluck().get();
    return { db, key, transmissions };
  } finally {
    handle.close();
  }
}

/** The acknowledgement a line of output makes, or null. */
export function ackOf(line) {
  if (!line.startsWith('{')) return null;
  let o;
  try {
    o = JSON.parse(line);
  } catch {
    return null;
  }
  if (typeof o.seq === 'number' && typeof o.entries === 'number' && typeof o.path === 'string') return { kind: 'publish', seq: o.seq };
  if (o.event === 'applied' && typeof o.contentHash === 'string') return { kind: 'apply', seq: o.seq, contentHash: o.contentHash };
  if (o.status === 'complete' && typeof o.stored === 'number') return { kind: 'import', stored: o.stored };
  if (typeof o.id === 'number' && typeof o.resetAt === 'string') return { kind: 'reset', id: o.id };
  return null;
}
export const acksIn = (text) => text.split('\n').map(ackOf).filter(Boolean);

/**
 * What a state holds, read the way the next start reads it: the snapshot file, and the
 * database opened by SQLite (which recovers it from its -wal). `dir` is a copy: opening
 * it changes it. With `nextApply`, then `mbcap-ingestor apply` runs on it, as the next
 * `run` would, and the ledger's last row is read again.
 */
export async function factsOf(dir, { nextApply }) {
  const db = join(dir, 'mesh.db');
  const facts = {
    snapshot: null,
    snapshotError: null,
    integrity: null,
    dbError: null,
    ledger: new Set(),
    resets: new Set(),
    transmissions: 0,
    content: '',
    next: null,
  };
  try {
    const read = await readSnapshot(db);
    facts.snapshot = { seq: read.snapshot.seq, contentHash: read.contentHash };
  } catch (error) {
    facts.snapshotError = error.code ?? error.message;
  }
  try {
    const handle = new Database(db, { fileMustExist: true });
    try {
      facts.integrity = handle.pragma('integrity_check', { simple: true });
      for (const hash of handle.prepare('SELECT content_hash FROM mbcap_ledger').pluck().iterate()) facts.ledger.add(hash);
      for (const id of handle.prepare('SELECT id FROM mbcap_resets').pluck().iterate()) facts.resets.add(id);
      facts.transmissions = handle.prepare('SELECT count(*) FROM transmissions').pluck().get();
      facts.content =
        handle
          .prepare(
            "SELECT group_concat(public_key || multibyte_sup || ifnull(multibyte_evidence, ''), ',') FROM (SELECT public_key, multibyte_sup, multibyte_evidence FROM nodes UNION ALL SELECT public_key, multibyte_sup, multibyte_evidence FROM inactive_nodes)",
          )
          .pluck()
          .get() ?? '';
    } finally {
      handle.close();
    }
  } catch (error) {
    facts.dbError = error.message;
  }
  if (nextApply && !facts.dbError) {
    const r = await run(ingestorBin, ['apply', '--db', db, '--json'], { timeoutMs: 60_000 });
    let status = `exit ${r.code}`;
    try {
      status = JSON.parse(r.stdout).status;
    } catch {
      // reported as the exit code
    }
    let last = null;
    try {
      const handle = new Database(db, { readonly: true, fileMustExist: true });
      last = handle.prepare('SELECT content_hash FROM mbcap_ledger ORDER BY id DESC LIMIT 1').pluck().get() ?? null;
      handle.close();
    } catch (error) {
      last = `unreadable: ${error.message}`;
    }
    facts.next = { status, last };
  }
  return facts;
}

/** A short key for the state SQLite and the reader see, so equal states are checked once. */
export const logicalKey = (f) =>
  JSON.stringify([f.snapshot, f.snapshotError, f.integrity, f.dbError, [...f.ledger], [...f.resets], f.transmissions, f.content]);

/**
 * What is wrong with a state whose facts are `f`, after the acknowledgements `acks`; an
 * empty list for a good state. `base.transmissions` is the count before the activities.
 */
export function problemsOf(f, acks, base) {
  const problems = [];
  const published = Math.max(base.seq, ...acks.filter((a) => a.kind === 'publish').map((a) => a.seq));
  if (f.snapshotError) problems.push(`snapshot.json is not a whole snapshot (${f.snapshotError})`);
  else if (f.snapshot.seq < published) problems.push(`snapshot.json is seq ${f.snapshot.seq}, but seq ${published} was acknowledged`);
  if (f.dbError) problems.push(`the database does not open: ${f.dbError}`);
  else {
    if (f.integrity !== 'ok') problems.push(`integrity_check: ${f.integrity}`);
    for (const a of acks) {
      if (a.kind === 'apply' && !f.ledger.has(a.contentHash)) problems.push(`the acknowledged apply of seq ${a.seq} is gone`);
      if (a.kind === 'reset' && !f.resets.has(a.id)) problems.push(`the acknowledged reset ${a.id} is gone`);
    }
    const stored = acks.filter((a) => a.kind === 'import').reduce((n, a) => n + a.stored, 0);
    if (f.transmissions < base.transmissions + stored) problems.push(`${base.transmissions + stored} packets acknowledged as stored, ${f.transmissions} there`);
  }
  if (f.next && f.snapshot) {
    if (f.next.status !== 'applied' && f.next.status !== 'unchanged') problems.push(`the next apply says ${f.next.status}`);
    else if (f.next.last !== f.snapshot.contentHash)
      problems.push(`after the next apply the ledger's last snapshot is ${f.next.last}, not the file's ${f.snapshot.contentHash}`);
  }
  return problems;
}

/** Writes `files` (name → bytes) under `dir`, with the handoff directory. */
export function writeState(dir, files) {
  mkdirSync(join(dir, 'mbcap-snapshot'), { recursive: true });
  for (const [name, bytes] of files) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), bytes);
  }
}

/** Flushes every filesystem, so the files before an activity are durable. */
export const syncAll = () => spawnSync('sync');
