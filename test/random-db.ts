// Random mesh databases full of edges, for the differential tests: keys sharing prefixes and
// differing in case, short keys, every route, hash size and payload type, TRACE and PATH,
// zero-hop direct sends, path_json present, absent or junk, broken rows, ties in time.
import Database from 'better-sqlite3';
import { migrate } from '@mbcap/dbschema';
import { encodeAdvert, encodePacket, PAYLOAD_TYPE, toHex } from '@mbcap/meshcore';
import type { Rng } from '@mbcap/meshgen';

export const DAY = 86_400_000;

/** Keys that mostly share a 2-byte stem with others; some short, some upper case, and one case variant of the first. */
export function randomKeys(rng: Rng, count = 40): string[] {
  const hex = (n: number) => toHex(rng.bytes(n));
  const stems = Array.from({ length: 6 }, () => hex(2));
  const keys: string[] = [];
  for (let i = 0; i < count; i++) {
    let key = rng.pick(stems) + hex(30);
    if (rng.chance(0.1)) key = key.slice(0, 2 * rng.between(1, 8));
    if (rng.chance(0.2)) key = key.toUpperCase();
    keys.push(key);
  }
  keys.push(keys[0]!.toUpperCase() === keys[0] ? keys[0]!.toLowerCase() : keys[0]!.toUpperCase());
  return keys;
}

export function hasPathJson(db: Database.Database): boolean {
  return db.prepare("SELECT 1 FROM pragma_table_info('transmissions') WHERE name = 'path_json'").get() !== undefined;
}

/** Node rows for `keys` (the last in inactive_nodes, others at random), names n<offset+i>. */
export function insertNodes(db: Database.Database, rng: Rng, keys: string[], offset = 0): void {
  keys.forEach((key, i) => {
    const table = i === keys.length - 1 || rng.chance(0.3) ? 'inactive_nodes' : 'nodes';
    const sup = rng.pick([0, 0, 1, 2, null]);
    db.prepare(`INSERT OR IGNORE INTO ${table} (public_key, name, role, multibyte_sup, multibyte_evidence) VALUES (?, ?, ?, ?, ?)`).run(
      key,
      `n${offset + i}`,
      'repeater',
      sup,
      sup === 2 ? 'advert' : sup === 1 ? 'path' : null,
    );
  });
}

/** `count` random packets among `keys` at the given `times` (ms); hashes are `<tag><n>`. */
export function insertPackets(db: Database.Database, rng: Rng, keys: string[], times: number[], count: number, tag: string): void {
  const hex = (n: number) => toHex(rng.bytes(n));
  const withPathJson = hasPathJson(db);
  const insert = db.prepare(
    `INSERT INTO transmissions (raw_hex, hash, first_seen, route_type, payload_type, decoded_json${withPathJson ? ', path_json' : ''}) VALUES (?, ?, ?, ?, ?, ?${withPathJson ? ', ?' : ''})`,
  );
  for (let p = 0; p < count; p++) {
    const hashSize = rng.pick([1, 2, 2, 3]);
    const routeType = rng.int(4);
    const type = rng.pick([PAYLOAD_TYPE.ADVERT, PAYLOAD_TYPE.ADVERT, PAYLOAD_TYPE.TXT_MSG, PAYLOAD_TYPE.PATH, PAYLOAD_TYPE.TRACE, PAYLOAD_TYPE.ACK]);
    const hops = Array.from({ length: rng.pick([0, 0, 1, 2, 4]) }, () => {
      const key = rng.pick(keys).padEnd(hashSize * 2, '0');
      return rng.chance(0.8) ? key.slice(0, hashSize * 2) : hex(hashSize);
    });
    const sender = rng.pick(keys);
    const fullKey = sender.padEnd(64, '7').slice(0, 64);
    const payload = type === PAYLOAD_TYPE.ADVERT ? encodeAdvert({ publicKey: fullKey, timestamp: 1_790_000_000, type: 2, name: 'x' }) : rng.bytes(8);
    let raw = toHex(
      encodePacket({
        routeType,
        payloadType: type,
        transportCodes: routeType === 0 || routeType === 3 ? [rng.int(65536), rng.int(65536)] : null,
        hashSize,
        hops,
        payload,
      }),
    );
    if (rng.chance(0.03)) raw = raw.slice(0, 3);
    const decoded =
      type === PAYLOAD_TYPE.ADVERT && rng.chance(0.6)
        ? JSON.stringify({ type: 'ADVERT', pubKey: rng.chance(0.3) ? sender.toUpperCase() : sender })
        : rng.chance(0.1)
          ? '{not json'
          : null;
    const firstSeen = rng.chance(0.02) ? 'not a time' : new Date(rng.pick(times)).toISOString().replace(rng.chance(0.3) ? 'T' : '#', ' ');
    const columnType = rng.chance(0.1) ? null : type;
    const pathJson = rng.chance(0.3) ? JSON.stringify(rng.chance(0.8) ? hops.map((h) => h.slice(0, rng.pick([2, 4, 6]))) : 'junk') : null;
    insert.run(raw, `${tag}${p}`, firstSeen, routeType, columnType, decoded, ...(withPathJson ? [pathJson] : []));
  }
}

/** `count` 2-byte adverts of `key`, more evidence than an explanation lists. */
export function insertManyAdverts(db: Database.Database, rng: Rng, key: string, times: number[], count: number, tag: string): void {
  const withPathJson = hasPathJson(db);
  const insert = db.prepare(
    `INSERT INTO transmissions (raw_hex, hash, first_seen, route_type, payload_type, decoded_json${withPathJson ? ', path_json' : ''}) VALUES (?, ?, ?, ?, ?, ?${withPathJson ? ', ?' : ''})`,
  );
  const full = key.padEnd(64, '7').slice(0, 64);
  for (let p = 0; p < count; p++) {
    const raw = toHex(
      encodePacket({
        routeType: 1,
        payloadType: PAYLOAD_TYPE.ADVERT,
        hashSize: 2,
        hops: [toHex(rng.bytes(2))],
        payload: encodeAdvert({ publicKey: full, timestamp: 1, type: 2, name: 'm' }),
      }),
    );
    insert.run(raw, `${tag}${p}`, new Date(rng.pick(times)).toISOString(), 1, PAYLOAD_TYPE.ADVERT, null, ...(withPathJson ? [null] : []));
  }
}

/** A random database at `path`: nodes, 400 random packets over 10 days before `now`, one node with 30 adverts. */
export function randomDb(path: string, rng: Rng, now: number): string[] {
  const keys = randomKeys(rng);
  const db = new Database(path);
  try {
    migrate(db);
    // path_json is optional in the field: half the databases go without
    if (rng.chance(0.5)) db.exec(hasPathJson(db) ? 'ALTER TABLE transmissions DROP COLUMN path_json' : 'ALTER TABLE transmissions ADD COLUMN path_json TEXT');
    db.transaction(() => {
      insertNodes(db, rng, keys);
      // Few distinct times, so ties are common; some outside the window, some unreadable
      const times = Array.from({ length: 12 }, () => now - rng.int(10 * DAY));
      insertPackets(db, rng, keys, times, 400, 'h');
      insertManyAdverts(db, rng, keys[1]!, times, 30, 'm');
    })();
  } finally {
    db.close();
  }
  return keys;
}
