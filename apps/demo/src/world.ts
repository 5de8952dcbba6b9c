// The demo's world: a synthetic mesh (and the real packets) in a fresh database, made with
// the ingestor's own migrate and import, then fresh traffic over time.
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { generateMesh, nextTraffic, toJsonLines, type MeshState, type TrafficStep } from '@mbcap/meshgen';
import { INGESTOR, runProgram } from './binaries.js';

export const REAL_PACKETS = fileURLToPath(new URL('../data/real-packets.jsonl', import.meta.url));

export type ImportSummary = { read: number; stored: number; duplicates: number; bad: number };

/** Imports JSON lines through `mbcap-ingestor import`; `committedAt` is the time of its log line, written right after the commit. */
async function importLines(db: string, lines: string): Promise<ImportSummary & { committedAt: number }> {
  const r = await runProgram(INGESTOR, ['import', '--db', db, '--json', '--log-format', 'json', '-'], lines);
  if (r.code !== 0) throw new Error(`mbcap-ingestor import failed (exit ${r.code}): ${r.stderr.trim()}`);
  const logged = r.stderr
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as { event?: string; time?: string })
    .find((line) => line.event === 'imported');
  return { ...(JSON.parse(r.stdout) as ImportSummary), committedAt: Date.parse(logged?.time ?? '') || Date.now() };
}

/**
 * Creates `<dir>/mesh.db` afresh. A database the demo did not create is never touched:
 * the demo marks its own in mbcap_meta.
 */
export async function createWorld(dir: string, options: { seed: number; nodes: number; packets: number }) {
  mkdirSync(dir, { recursive: true });
  const db = join(dir, 'mesh.db');
  if (existsSync(db)) {
    const conn = new Database(db, { readonly: true, fileMustExist: true });
    let mine = false;
    try {
      mine = conn.prepare("SELECT value FROM mbcap_meta WHERE key = 'demo'").pluck().get() === '1';
    } catch {
      mine = false;
    } finally {
      conn.close();
    }
    if (!mine) throw new Error(`${db} exists and was not made by the demo; leaving it alone (choose another --data directory)`);
    for (const name of ['mesh.db', 'mesh.db-wal', 'mesh.db-shm', 'mbcap-snapshot']) rmSync(join(dir, name), { recursive: true, force: true });
  }

  // Schema, by the ingestor
  const migrated = await runProgram(INGESTOR, ['migrate', '--db', db]);
  if (migrated.code !== 0) throw new Error(`mbcap-ingestor migrate failed: ${migrated.stderr.trim()}`);
  const conn = new Database(db);
  conn.prepare("INSERT OR REPLACE INTO mbcap_meta (key, value) VALUES ('demo', '1')").run();
  conn.close();

  // Packets, by the ingestor's import: the generated mesh, then the real capture
  const state = generateMesh({ seed: options.seed, nodes: options.nodes, packets: options.packets, now: Date.now() });
  const generated = await importLines(db, toJsonLines(state.packets));
  const real = await importLines(db, readFileSync(REAL_PACKETS, 'utf8'));

  // The analyzer keeps nodes it has not heard from lately in inactive_nodes
  moveInactive(db, state);
  return { db, state, generated, real };
}

function moveInactive(db: string, state: MeshState) {
  const keys = state.nodes.filter((n) => n.inactive).map((n) => n.publicKey);
  const conn = new Database(db);
  try {
    conn.transaction(() => {
      const copy = conn.prepare('INSERT INTO inactive_nodes SELECT * FROM nodes WHERE public_key = ? COLLATE NOCASE');
      const remove = conn.prepare('DELETE FROM nodes WHERE public_key = ? COLLATE NOCASE');
      for (const key of keys) {
        copy.run(key);
        remove.run(key);
      }
    })();
  } finally {
    conn.close();
  }
}

/** More traffic, imported by the ingestor; returns the next state and what happened. */
export async function addTraffic(
  db: string,
  state: MeshState,
  count: number,
): Promise<{ step: TrafficStep; summary: ImportSummary & { committedAt: number } }> {
  const step = nextTraffic(state, Date.now(), count, { upgrades: 1, reveals: 1 });
  const summary = await importLines(db, toJsonLines(step.added));
  return { step, summary };
}
