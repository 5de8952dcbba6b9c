// The campaigns' database: N nodes, half of them in inactive_nodes, migrated by the real
// ingestor, built once per run and copied for each campaign. Node states are kept as one
// small number each (multibyte_sup * 4 + evidence code), so a whole table is compared with
// an in-memory model in one pass.
import { copyFileSync, existsSync, readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import Database from 'better-sqlite3';
import { encodeAdvert, encodePacket, PAYLOAD_TYPE, ROUTE_TYPE, toHex } from '@mbcap/meshcore';
import { MULTIBYTE_SUP, STATUS_OF_SUP } from '@mbcap/snapshot';
import { ingestorBin, run } from './proc.mjs';

export const EVIDENCE_CODE = { null: 0, advert: 1, path: 2 };
export const EVIDENCE_OF_CODE = [null, 'advert', 'path'];
export { STATUS_OF_SUP };
export const SUP_OF_STATUS = MULTIBYTE_SUP;

export const stateOf = (sup, evidence) => sup * 4 + (EVIDENCE_CODE[evidence ?? 'null'] ?? 3);

/** Keys of the mesh: 64 hex characters, distinct, from the seed. */
export function meshKeys(rng, count) {
  const keys = new Array(count);
  const seen = new Set();
  for (let i = 0; i < count; i++) {
    let key = rng.hex(32);
    while (seen.has(key)) key = rng.hex(32);
    seen.add(key);
    keys[i] = key;
  }
  return keys;
}

/** Node i lives in inactive_nodes when i is odd: half and half, interleaved. */
export const isInactive = (i) => i % 2 === 1;

/**
 * Builds a migrated database at `path`: `count` nodes with random initial capabilities, and
 * a few packets (adverts of 2-byte nodes, relayed messages) so a server publish finds
 * something. Returns the keys and the initial model (Uint8Array of states).
 */
export async function buildMeshDb(path, rng, count) {
  const migrated = await run(ingestorBin, ['migrate', '--db', path], { timeoutMs: 60_000 });
  if (migrated.code !== 0) throw new Error(`migrate failed: ${migrated.log}`);
  const keys = meshKeys(rng, count);
  const model = new Uint8Array(count);
  const db = new Database(path);
  try {
    db.pragma('synchronous = OFF');
    const insert = [
      db.prepare('INSERT INTO nodes (public_key, name, role, last_seen, multibyte_sup, multibyte_evidence) VALUES (?, ?, ?, ?, ?, ?)'),
      db.prepare('INSERT INTO inactive_nodes (public_key, name, role, last_seen, multibyte_sup, multibyte_evidence) VALUES (?, ?, ?, ?, ?, ?)'),
    ];
    const roles = ['companion', 'repeater', 'room', 'sensor'];
    const now = new Date().toISOString();
    db.transaction(() => {
      for (let i = 0; i < count; i++) {
        const r = rng.int(3);
        const evidence = r === 2 ? 'advert' : r === 1 ? 'path' : null;
        model[i] = stateOf(r, evidence);
        insert[isInactive(i) ? 1 : 0].run(keys[i], `node ${i}`, roles[i % 4], now, r, evidence);
      }
    })();
    const packet = db.prepare('INSERT INTO transmissions (raw_hex, hash, first_seen, route_type, payload_type) VALUES (?, ?, ?, ?, ?)');
    const seen = new Date().toISOString();
    db.transaction(() => {
      for (let p = 0; p < Math.min(200, count); p++) {
        const key = keys[rng.int(count)];
        const payload = encodeAdvert({ publicKey: key, timestamp: 1_790_000_000, type: 2, name: `n${p}` });
        packet.run(
          toHex(encodePacket({ routeType: ROUTE_TYPE.FLOOD, payloadType: PAYLOAD_TYPE.ADVERT, hashSize: 2, hops: [], payload })),
          `a${p}`,
          seen,
          1,
          PAYLOAD_TYPE.ADVERT,
        );
        const hop = keys[rng.int(count)].slice(0, 4);
        packet.run(
          toHex(
            encodePacket({ routeType: ROUTE_TYPE.FLOOD, payloadType: PAYLOAD_TYPE.TXT_MSG, hashSize: 2, hops: [hop], payload: new Uint8Array([1, 2, 3, 4]) }),
          ),
          `m${p}`,
          seen,
          1,
          PAYLOAD_TYPE.TXT_MSG,
        );
      }
    })();
    db.pragma('wal_checkpoint(TRUNCATE)');
  } finally {
    db.close();
  }
  return { keys, model };
}

/** Copies a built database (checkpointed, so the main file is all of it) to `to`. */
export function copyDb(from, to) {
  copyFileSync(from, to);
}

/**
 * Reads every node's state into a Uint8Array indexed like `keys` (255 for a key missing from
 * both tables), and counts rows in each table and rows whose key is not in `keys`.
 */
export function readModel(dbPath, keyIndex, count, options = {}) {
  const db = new Database(dbPath, { readonly: options.readonly ?? true, timeout: 10_000 });
  try {
    const model = new Uint8Array(count).fill(255);
    const rows = { nodes: 0, inactive_nodes: 0, foreign: 0, misplaced: 0 };
    for (const table of ['nodes', 'inactive_nodes']) {
      const stmt = db.prepare(`SELECT public_key, multibyte_sup, multibyte_evidence FROM ${table}`).raw();
      for (const [key, sup, evidence] of stmt.iterate()) {
        rows[table]++;
        const i = keyIndex.get(key);
        if (i === undefined) {
          rows.foreign++;
          continue;
        }
        if (isInactive(i) !== (table === 'inactive_nodes')) rows.misplaced++;
        model[i] = stateOf(sup ?? 0, evidence);
      }
    }
    return { model, rows };
  } finally {
    db.close();
  }
}

/** The ledger rows, oldest first. */
export function readLedger(dbPath) {
  const db = new Database(dbPath, { readonly: true, timeout: 10_000 });
  try {
    return db.prepare('SELECT * FROM mbcap_ledger ORDER BY id').all();
  } finally {
    db.close();
  }
}

/** `PRAGMA integrity_check` through a fresh connection: 'ok' or the first problems. */
export function integrityCheck(dbPath) {
  const db = new Database(dbPath, { timeout: 10_000 });
  try {
    const rows = db.pragma('integrity_check').map((r) => r.integrity_check);
    return rows.join('; ');
  } finally {
    db.close();
  }
}

/** How many positions differ between two models, and the first one. */
export function diffModels(a, b) {
  let count = 0;
  let first = -1;
  for (let i = 0; i < a.length; i++) {
    if (a[i] !== b[i]) {
      if (first < 0) first = i;
      count++;
    }
  }
  return { count, first };
}

/**
 * The digest of the database as the server must leave it: the main file's bytes and the
 * -wal's (an absent and an empty -wal both read `empty`: SQLite creates an empty one for a
 * read-only connection to a WAL database, and that holds no frame).
 */
export function dbDigest(dbPath) {
  const hash = (path) => {
    if (!existsSync(path)) return 'empty';
    const bytes = readFileSync(path);
    return bytes.length === 0 ? 'empty' : createHash('sha256').update(bytes).digest('hex').slice(0, 16);
  };
  return `db:${hash(dbPath)} wal:${hash(`${dbPath}-wal`)}`;
}

const STATE_SQL =
  "coalesce(multibyte_sup, 0) * 4 + CASE WHEN multibyte_evidence IS NULL THEN 0 WHEN multibyte_evidence = 'advert' THEN 1 WHEN multibyte_evidence = 'path' THEN 2 ELSE 3 END";

/**
 * The states alone, by rowid, without the keys: node i is row i/2 + 1 of nodes (even i) or
 * of inactive_nodes (odd i), as buildMeshDb inserts them. For the checks after every kill,
 * where rows are only ever updated. Returns the model, or null when the row counts do not
 * fit that layout.
 */
export function readStates(dbPath, count) {
  const db = new Database(dbPath, { readonly: true, timeout: 10_000 });
  try {
    const model = new Uint8Array(count).fill(255);
    for (const [t, table] of ['nodes', 'inactive_nodes'].entries()) {
      const states = db.prepare(`SELECT ${STATE_SQL} FROM ${table} ORDER BY rowid`).pluck().all();
      if (states.length !== (t === 0 ? Math.ceil(count / 2) : Math.floor(count / 2))) return null;
      for (let r = 0; r < states.length; r++) model[2 * r + t] = states[r];
    }
    return model;
  } finally {
    db.close();
  }
}
