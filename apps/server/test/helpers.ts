import type { ChildProcess } from 'node:child_process';
import { connect } from 'node:net';
import { fileURLToPath } from 'node:url';
import { runNode, scratch as scratchDir, startProcess } from '@mbcap/test-utils';
import Database from 'better-sqlite3';
import { migrate } from '@mbcap/dbschema';
import { encodeAdvert, encodePacket, PAYLOAD_TYPE, ROUTE_TYPE, toHex } from '@mbcap/meshcore';

const bin = fileURLToPath(new URL('../bin/mbcap-server.js', import.meta.url));
const ingestorBin = fileURLToPath(new URL('../../ingestor/bin/mbcap-ingestor.js', import.meta.url));

export type Result = { code: number | null; stdout: string; stderr: string };

export function server(...args: string[]): Result {
  return runNode([bin, ...args]);
}

/** `mbcap-ingestor` with these arguments, to completion. */
export function ingestor(...args: string[]): Result {
  return runNode([ingestorBin, ...args]);
}

export type RunningServer = { child: ChildProcess; log: () => string; exited: Promise<number | null>; port: () => Promise<number> };

export function startServer(...args: string[]): RunningServer {
  return startServerWith({}, ...args);
}

/** `run`, optionally under a lower open-file limit (`ulimit -n`, soft and hard). */
export function startServerWith(options: { nofile?: number }, ...args: string[]): RunningServer {
  const command = [process.execPath, bin, 'run', ...args];
  const run =
    options.nofile === undefined
      ? startProcess(command[0]!, command.slice(1))
      : startProcess('/bin/sh', ['-c', `ulimit -n ${options.nofile} && exec "$@"`, 'sh', ...command]);
  const { child, log } = run;
  const exited = run.exited.then(({ code }) => code);
  const port = async () => {
    for (let i = 0; i < 500; i++) {
      const m = /serving http:\/\/[^:]+:(\d+)\//.exec(log());
      if (m) return Number(m[1]);
      if (child.exitCode !== null) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error(`server did not start:\n${log()}`);
  };
  return { child, log, exited, port };
}

/** A fresh directory for one test: <dir>/mesh.db, <dir>/mbcap-snapshot/snapshot.json. */
export const scratch = () => scratchDir('mbcap-server-');

/** A 32-byte key whose first bytes are `prefix` (hex). */
export function keyWith(prefix: string, fill = '5a'): string {
  return (prefix + fill.repeat(32)).slice(0, 64);
}

export const minutesAgo = (m: number) => new Date(Date.now() - m * 60_000).toISOString();

/** A flood advert from `key` with the given path hash size and relay hops. */
export function advert(key: string, hashSize: number, hops: string[] = []): string {
  const payload = encodeAdvert({ publicKey: key, timestamp: 1_790_000_000, type: 2, name: `node ${key.slice(0, 4)}` });
  return toHex(encodePacket({ routeType: ROUTE_TYPE.FLOOD, payloadType: PAYLOAD_TYPE.ADVERT, hashSize, hops, payload }));
}

/** A flood text message relayed along `hops` with the given hash size. */
export function message(hashSize: number, hops: string[], payloadType: number = PAYLOAD_TYPE.TXT_MSG): string {
  return toHex(encodePacket({ routeType: ROUTE_TYPE.FLOOD, payloadType, hashSize, hops, payload: new Uint8Array([1, 2, 3, 4, 5, 6]) }));
}

export type Seed = {
  nodes: { key: string; role?: string; inactive?: boolean; sup?: number; evidence?: string | null }[];
  packets: { raw_hex: string; first_seen: string; payload_type?: number | null }[];
};

/** A migrated database (as the ingestor leaves it) with these nodes and packets. */
export function seedDb(path: string, seed: Seed): void {
  const db = new Database(path);
  try {
    migrate(db);
    db.transaction(() => {
      for (const n of seed.nodes) {
        db.prepare(
          `INSERT INTO ${n.inactive ? 'inactive_nodes' : 'nodes'} (public_key, name, role, last_seen, multibyte_sup, multibyte_evidence) VALUES (?, ?, ?, ?, ?, ?)`,
        ).run(n.key, `node ${n.key.slice(0, 4)}`, n.role ?? 'repeater', minutesAgo(1), n.sup ?? 0, n.evidence ?? null);
      }
      seed.packets.forEach((p, i) => {
        const type = p.payload_type === undefined ? (Number.parseInt(p.raw_hex.slice(0, 2), 16) >> 2) & 0x0f : p.payload_type;
        db.prepare('INSERT INTO transmissions (raw_hex, hash, first_seen, route_type, payload_type) VALUES (?, ?, ?, ?, ?)').run(
          p.raw_hex,
          `h${i}`,
          p.first_seen,
          1,
          type,
        );
      });
    })();
  } finally {
    db.close();
  }
}

/**
 * Sends `bytes` on a fresh TCP connection and collects what comes back until the server
 * closes the connection or `waitMs` passes.
 */
export function rawRequest(port: number, bytes: string | Buffer, waitMs = 2000): Promise<{ text: string; closedByServer: boolean }> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    let text = '';
    let done = false;
    const finish = (closedByServer: boolean) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ text, closedByServer });
    };
    const timer = setTimeout(() => finish(false), waitMs);
    socket.on('connect', () => socket.write(bytes));
    socket.on('data', (chunk) => (text += chunk.toString('latin1')));
    socket.on('error', () => finish(true));
    socket.on('close', () => finish(true));
  });
}
