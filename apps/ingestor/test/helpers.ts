import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { runNode, scratch as scratchDir, startNode } from '@mbcap/test-utils';

export { eventually, sleep } from '@mbcap/test-utils';

const bin = fileURLToPath(new URL('../bin/mbcap-ingestor.js', import.meta.url));

export type Result = { code: number | null; stdout: string; stderr: string };

/** Runs `mbcap-ingestor ARGS…` to completion, as an operator would. */
export function ingestor(...args: string[]): Result {
  return ingestorWithInput(args);
}

/** The same, with `input` on its stdin. */
export function ingestorWithInput(args: string[], input?: string): Result {
  return runNode([bin, ...args], { input });
}

/** A scratch directory with a migrated, empty database. */
export function migrated(): ReturnType<typeof scratch> {
  const s = scratch();
  const r = ingestor('migrate', '--db', s.db);
  if (r.code !== 0) throw new Error(`migrate failed: ${r.stderr}`);
  return s;
}

/** `apply --json`: the outcome object, with the exit code and log checked. */
export function applyJson(db: string, ...args: string[]): Record<string, unknown> & { status: string; stderr: string } {
  const r = ingestor('apply', '--db', db, '--json', ...args);
  if (r.code !== 0) throw new Error(`apply exited ${r.code}: ${r.stderr}`);
  return { ...JSON.parse(r.stdout), stderr: r.stderr };
}

/** Starts `mbcap-ingestor run …` in the background; collects its log. */
export function startRun(...args: string[]): { child: ChildProcess; log: () => string; exited: Promise<number | null> } {
  const run = startNode([bin, 'run', ...args]);
  return { child: run.child, log: run.log, exited: run.exited.then(({ code }) => code) };
}

/** A fresh directory for one test: <dir>/mesh.db, <dir>/mbcap-snapshot/snapshot.json. */
export const scratch = () => scratchDir('mbcap-ingestor-');

export type NodeSeed = { key: string; sup?: number; evidence?: string | null; inactive?: boolean };

/** A migrated database with the given nodes. */
export function seedDb(db: string, nodes: NodeSeed[]): void {
  const r = ingestor('migrate', '--db', db);
  if (r.code !== 0) throw new Error(`migrate failed: ${r.stderr}`);
  const conn = new Database(db);
  try {
    for (const n of nodes) {
      conn
        .prepare(`INSERT INTO ${n.inactive ? 'inactive_nodes' : 'nodes'} (public_key, name, multibyte_sup, multibyte_evidence) VALUES (?, ?, ?, ?)`)
        .run(n.key, `node ${n.key}`, n.sup ?? 0, n.evidence ?? null);
    }
  } finally {
    conn.close();
  }
}

/** public_key → [multibyte_sup, multibyte_evidence, table] for every node row. */
export function capabilities(db: string): Record<string, [number, string | null, string]> {
  const conn = new Database(db, { readonly: true });
  try {
    const out: Record<string, [number, string | null, string]> = {};
    for (const table of ['nodes', 'inactive_nodes']) {
      for (const row of conn.prepare(`SELECT public_key, multibyte_sup, multibyte_evidence FROM ${table}`).all() as {
        public_key: string;
        multibyte_sup: number;
        multibyte_evidence: string | null;
      }[]) {
        out[row.public_key] = [row.multibyte_sup, row.multibyte_evidence, table];
      }
    }
    return out;
  } finally {
    conn.close();
  }
}

export function ledgerRows(db: string): Record<string, unknown>[] {
  const conn = new Database(db, { readonly: true });
  try {
    return conn.prepare('SELECT * FROM mbcap_ledger ORDER BY id').all() as Record<string, unknown>[];
  } finally {
    conn.close();
  }
}
