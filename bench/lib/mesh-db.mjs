// A large synthetic mesh database for the benchmarks: N nodes, M transmissions with a
// realistic mix (adverts, relayed messages, ACKs, TRACE; most 1-byte, some 2- and 3-byte),
// built once and cached in the temp directory by its size.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { encodeAdvert, encodePacket, PAYLOAD_TYPE, ROUTE_TYPE, toHex } from '@mbcap/meshcore';
import { createRng } from '@mbcap/meshgen';

const ingestor = new URL('../../apps/ingestor/bin/mbcap-ingestor.js', import.meta.url).pathname;

/** What the cached databases are made of: change it when the mix or the schema changes, so old caches are not used. */
const CACHE_VERSION = 2;

/** Path of a cached database with `nodes` nodes and `packets` transmissions (built if missing). */
export function meshDb({ nodes, packets, seed = 1 }) {
  const dir = join(tmpdir(), 'mbcap-bench-cache');
  const path = join(dir, `mesh-v${CACHE_VERSION}-${nodes}n-${packets}p-s${seed}.db`);
  if (existsSync(path)) return path;
  mkdirSync(dir, { recursive: true });
  const building = `${path}.building`;
  rmSync(building, { force: true });
  const migrated = spawnSync(process.execPath, [ingestor, 'migrate', '--db', building], { encoding: 'utf8' });
  if (migrated.status !== 0) throw new Error(migrated.stderr);

  const mesh = meshParts({ nodes, seed });
  const { keys } = mesh;
  const db = new Database(building);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = OFF');
  const roles = ['companion', 'repeater', 'room', 'sensor'];
  db.transaction(() => {
    const active = db.prepare('INSERT INTO nodes (public_key, name, role, last_seen) VALUES (?, ?, ?, ?)');
    const inactive = db.prepare('INSERT INTO inactive_nodes (public_key, name, role, last_seen) VALUES (?, ?, ?, ?)');
    keys.forEach((key, i) => (i % 10 === 9 ? inactive : active).run(key, `node ${i}`, roles[i % 4], new Date().toISOString()));
  })();

  const insert = db.prepare(
    'INSERT INTO transmissions (raw_hex, hash, first_seen, route_type, payload_type, payload_version, decoded_json, path_json) VALUES (?, ?, ?, ?, ?, 0, ?, ?)',
  );
  const now = Date.now();
  const makePacket = mesh.packets;
  const BATCH = 20_000;
  for (let done = 0; done < packets; done += BATCH) {
    db.transaction(() => {
      for (let i = done; i < Math.min(packets, done + BATCH); i++) {
        const [raw, firstSeen, route, type, decoded, pathJson] = makePacket(now);
        insert.run(raw, `b${i}`, firstSeen, route, type, decoded, pathJson);
      }
    })();
  }
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
  renameSync(building, path);
  for (const suffix of ['-wal', '-shm']) rmSync(`${building}${suffix}`, { force: true });
  return path;
}

/**
 * The mesh's nodes (keys, each one's hash size) and a maker of its packets, drawn from one
 * seeded generator: the same seed gives the same database, and a benchmark can go on adding
 * packets of the same mix to it. A packet: [raw_hex, first_seen, route_type, payload_type,
 * decoded_json, path_json]; first_seen lies up to `spreadDays` (10) back from `now`.
 */
export function meshParts({ nodes, seed = 1 }) {
  const source = createRng(seed);
  const random = () => source.next();
  const hex = (bytes) =>
    Array.from({ length: bytes }, () =>
      Math.floor(random() * 256)
        .toString(16)
        .padStart(2, '0'),
    ).join('');
  const keys = Array.from({ length: nodes }, () => hex(32));
  const sizes = keys.map(() => (random() < 0.8 ? 1 : random() < 0.8 ? 2 : 3));
  const pick = () => Math.floor(random() * nodes);
  const packets = (now, spreadDays = 10) => {
    const r = random();
    const origin = pick();
    const hashSize = sizes[origin];
    const hops = Array.from({ length: Math.floor(random() * 5) }, () => keys[pick()].slice(0, hashSize * 2));
    const firstSeen = new Date(now - Math.floor(random() * spreadDays * 86_400_000)).toISOString();
    let type;
    let payload;
    let decoded = null;
    if (r < 0.1) {
      type = PAYLOAD_TYPE.ADVERT;
      payload = encodeAdvert({ publicKey: keys[origin], timestamp: Math.floor(now / 1000), type: (origin % 4) + 1, name: `node ${origin}` });
      decoded = JSON.stringify({ type: 'ADVERT', pubKey: keys[origin], name: `node ${origin}` });
    } else if (r < 0.2) {
      type = PAYLOAD_TYPE.TRACE; // sent direct, as firmware does (below)
      payload = Uint8Array.from({ length: 9 }, () => Math.floor(random() * 256));
      // The path of a TRACE holds one SNR byte a hop
      for (let h = 0; h < hops.length; h++) hops[h] = hex(1);
    } else if (r < 0.4) {
      type = PAYLOAD_TYPE.ACK;
      payload = Uint8Array.from({ length: 4 }, () => Math.floor(random() * 256));
      hops.length = 0;
    } else {
      type = r < 0.8 ? PAYLOAD_TYPE.TXT_MSG : PAYLOAD_TYPE.GRP_TXT;
      payload = Uint8Array.from({ length: 20 + Math.floor(random() * 60) }, () => Math.floor(random() * 256));
    }
    const route = type === PAYLOAD_TYPE.TRACE ? ROUTE_TYPE.DIRECT : ROUTE_TYPE.FLOOD;
    const raw = toHex(encodePacket({ routeType: route, payloadType: type, hashSize: type === PAYLOAD_TYPE.TRACE ? 1 : hashSize, hops, payload }));
    return [raw, firstSeen, route, type, decoded, JSON.stringify(hops)];
  };
  return { keys, sizes, packets };
}
