// The operator's page on the demo mesh, for the browser test and the README's screenshot:
// the demo's own world (the ingestor's migrate and import of the synthetic mesh and the real
// packets), one node more whose name is markup, `mbcap-server run` serving it, and one apply
// by the ingestor so the database holds what the snapshot says.
import { existsSync } from 'node:fs';
import Database from 'better-sqlite3';
import { startNode, type Started } from '@mbcap/test-utils';
import { createWorld } from '../apps/demo/src/world.js';
import { repoRoot, run } from './helpers.js';

const SERVER = `${repoRoot}/apps/server/bin/mbcap-server.js`;
const INGESTOR = `${repoRoot}/apps/ingestor/bin/mbcap-ingestor.js`;

/** A node whose name, from a radio packet, is markup that would run if the page executed it. */
export const HOSTILE = { key: `abad1dea${'5a'.repeat(28)}`, name: '<img src=x onerror="window.__pwned=1">' };

/** Debian's Chromium, or the one CHROMIUM_PATH names; null when there is none. */
export function findChromium(): string | null {
  const candidates = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];
  return candidates.find((path): path is string => typeof path === 'string' && path !== '' && existsSync(path)) ?? null;
}

export type PageServer = { url: string; db: string; server: Started; stop: () => Promise<void> };

/** The demo mesh (seed 1, 120 nodes, as `npm run demo` makes it) in `dir`, served by `run`. */
export async function startPageServer(dir: string): Promise<PageServer> {
  const { db } = await createWorld(dir, { seed: 1, nodes: 120, packets: 3000 });
  const conn = new Database(db);
  conn
    .prepare('INSERT INTO nodes (public_key, name, role, last_seen) VALUES (?, ?, ?, ?)')
    .run(HOSTILE.key, HOSTILE.name, 'repeater', new Date().toISOString());
  conn.close();

  const server = startNode([SERVER, 'run', '--db', db, '--port', '0', '--interval', '1h'], { cwd: repoRoot });
  const stop = async () => {
    server.child.kill('SIGTERM');
    await server.exited;
  };
  try {
    let port: number | null = null;
    for (let i = 0; i < 1000 && port === null; i++) {
      const m = /serving http:\/\/[^:]+:(\d+)\//.exec(server.stderr() + server.stdout());
      if (m) port = Number(m[1]);
      else if (server.child.exitCode !== null) break;
      else await new Promise((r) => setTimeout(r, 20));
    }
    if (port === null) throw new Error(`mbcap-server did not start:\n${server.stderr()}`);
    const url = `http://127.0.0.1:${port}`;
    // The first cycle, then one apply, so the stored values match the snapshot
    for (let i = 0; i < 500; i++) {
      const health = (await (await fetch(`${url}/healthz`)).json()) as { lastSuccess: unknown };
      if (health.lastSuccess !== null) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    const applied = await run(INGESTOR, ['apply', '--db', db]);
    if (applied.code !== 0) throw new Error(`mbcap-ingestor apply failed: ${applied.stderr}`);
    return { url, db, server, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
