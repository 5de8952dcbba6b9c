import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { decodePacket, encodePacket, PAYLOAD_TYPE } from '@mbcap/meshcore';
import { generateMesh, toJsonLines, type MeshState } from '@mbcap/meshgen';
import { ingestorWithInput, migrated } from './helpers.js';

const REAL = fileURLToPath(new URL('../../demo/data/real-packets.jsonl', import.meta.url));

const ingestor = ingestorWithInput;

/** `import --json`: the summary, with the exit code checked. */
function importJson(db: string, file: string, input?: string): Record<string, number | string> & { stderr: string } {
  const r = ingestor(['import', '--db', db, '--json', file], input);
  if (r.code !== 0) throw new Error(`import exited ${r.code}: ${r.stderr}`);
  return { ...JSON.parse(r.stdout), stderr: r.stderr };
}

function query<T>(db: string, sql: string, ...params: unknown[]): T[] {
  const conn = new Database(db, { readonly: true });
  try {
    return conn.prepare(sql).all(...params) as T[];
  } finally {
    conn.close();
  }
}

type NodeRow = {
  public_key: string;
  name: string | null;
  role: string | null;
  lat: number | null;
  lon: number | null;
  last_seen: string;
  first_seen: string;
  advert_count: number;
};
type TxRow = {
  raw_hex: string;
  hash: string;
  first_seen: string;
  route_type: number;
  payload_type: number;
  payload_version: number;
  decoded_json: string;
  path_json: string;
};

test('the 54 real packets import with no bad line; hashes computed like CoreScope', () => {
  const s = migrated();
  try {
    const out = importJson(s.db, REAL);
    assert.equal([out.status, out.read, out.stored, out.duplicates, out.bad], ['complete', 54, 54, 0, 0]);
    assert.match(out.stderr, /imported .*real-packets\.jsonl: 54 lines read, 54 stored, 0 duplicates, 0 bad; nodes: 4 created, 22 updated/);
    const given = readFileSync(REAL, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { raw_hex: string; first_seen: string; hash: string });
    const rows = query<TxRow>(s.db, 'SELECT * FROM transmissions ORDER BY id');
    assert.equal(
      rows.map((r) => r.hash),
      given.map((g) => g.hash),
    );
    assert.equal(
      rows.map((r) => r.first_seen),
      given.map((g) => g.first_seen),
      'first_seen kept as given',
    );
    const nodes = query<NodeRow>(s.db, 'SELECT * FROM nodes ORDER BY advert_count DESC');
    assert.is(nodes.length, 4);
    assert.equal([nodes[0]!.name, nodes[0]!.role, nodes[0]!.advert_count], ['Charles Evans Hughes', 'repeater', 22]);
    const kings = nodes.find((n) => n.name === 'Kings Island Repeater')!;
    // Compared as times: '2026-03-27 05:49:44' (no zone: UTC) is earlier than 2026-03-27T17:49:45.533Z
    assert.equal(
      [kings.lat, kings.lon, kings.first_seen, kings.last_seen, kings.advert_count],
      [37.85787, -121.567435, '2026-03-27 05:49:44', '2026-03-27T17:49:45.533Z', 2],
    );

    // Without their hash field, the same lines get the same hashes, so all are duplicates
    const bare = given.map(({ raw_hex, first_seen }) => JSON.stringify({ raw_hex, first_seen })).join('\n');
    const again = importJson(s.db, '-', bare);
    assert.equal([again.stored, again.duplicates, again.nodesUpdated], [0, 54, 0]);
    assert.is(query<NodeRow>(s.db, 'SELECT * FROM nodes WHERE advert_count = 22').length, 1, 'duplicates bump nothing');
  } finally {
    s.cleanup();
  }
});

/** Inactive nodes go into inactive_nodes first, as the mesh they come from has them. */
function seedInactive(db: string, mesh: MeshState): void {
  const conn = new Database(db);
  try {
    const insert = conn.prepare('INSERT INTO inactive_nodes (public_key, name) VALUES (?, ?)');
    for (const node of mesh.nodes) if (node.inactive) insert.run(node.publicKey, 'old name');
  } finally {
    conn.close();
  }
}

test('a generated mesh: every row as encoded, nodes from adverts in the right table', () => {
  const s = migrated();
  try {
    const mesh = generateMesh({ seed: 21, nodes: 60, packets: 1500 });
    seedInactive(s.db, mesh);
    writeFileSync(join(s.dir, 'mesh.jsonl'), toJsonLines(mesh.packets));
    const out = importJson(s.db, join(s.dir, 'mesh.jsonl'));
    const inactive = mesh.nodes.filter((n) => n.inactive);
    assert.equal(
      [out.read, out.stored, out.duplicates, out.bad, out.nodesCreated],
      [mesh.packets.length, mesh.packets.length, 0, 0, mesh.nodes.length - inactive.length],
    );

    // Transmissions
    const rows = new Map(query<TxRow>(s.db, 'SELECT * FROM transmissions').map((r) => [r.hash, r]));
    assert.is(rows.size, mesh.packets.length);
    for (const packet of mesh.packets) {
      const row = rows.get(packet.hash)!;
      const { encoded } = packet;
      assert.equal(
        [row.raw_hex, row.first_seen, row.route_type, row.payload_type, row.payload_version],
        [packet.raw_hex, packet.first_seen, encoded.routeType, encoded.payloadType, 0],
      );
      assert.equal(JSON.parse(row.path_json), encoded.hops);
      const decoded = JSON.parse(row.decoded_json);
      if (encoded.payloadType === PAYLOAD_TYPE.ADVERT) {
        assert.equal(
          [decoded.type, decoded.pubKey, decoded.name, decoded.timestamp, decoded.lat, decoded.lon],
          ['ADVERT', packet.advert!.publicKey, packet.advert!.name, packet.advert!.timestamp, packet.advert!.lat ?? null, packet.advert!.lon ?? null],
        );
        assert.equal(Object.keys(decoded), ['type', 'pubKey', 'name', 'flags', 'role', 'lat', 'lon', 'timestamp']);
      } else {
        assert.equal(Object.keys(decoded), ['type']);
      }
    }

    // Nodes: name, role, location, counts and times from their adverts
    const stored = new Map<string, NodeRow & { table: string }>();
    for (const table of ['nodes', 'inactive_nodes']) {
      for (const row of query<NodeRow>(s.db, `SELECT * FROM ${table}`)) {
        assert.not.ok(stored.has(row.public_key), `${row.public_key} in one table only`);
        stored.set(row.public_key, { ...row, table });
      }
    }
    assert.is(stored.size, mesh.nodes.length);
    for (const node of mesh.nodes) {
      const row = stored.get(node.publicKey)!;
      const adverts = mesh.packets.filter((p) => p.advert?.publicKey === node.publicKey).map((p) => p.first_seen);
      assert.equal(
        [row.table, row.name, row.role, row.lat, row.lon, row.advert_count, row.first_seen, row.last_seen],
        [node.inactive ? 'inactive_nodes' : 'nodes', node.name, node.role, node.lat, node.lon, adverts.length, adverts[0], adverts[adverts.length - 1]],
        node.name,
      );
    }
  } finally {
    s.cleanup();
  }
});

test('duplicates: counted, not stored twice, no advert counted twice, whatever their path', () => {
  const s = migrated();
  try {
    const mesh = generateMesh({ seed: 3, nodes: 8, packets: 100 });
    const bare = join(s.dir, 'bare.jsonl');
    const file = join(s.dir, 'mesh.jsonl');
    writeFileSync(bare, toJsonLines(mesh.packets, { omitHash: true }));
    writeFileSync(file, toJsonLines(mesh.packets));
    importJson(s.db, bare);
    const counts = () => query<{ n: number }>(s.db, 'SELECT sum(advert_count) AS n FROM nodes')[0]!.n;
    const before = counts();
    // The hashes the importer computed are the generator's: every line with its hash is a duplicate
    const again = importJson(s.db, file);
    assert.equal([again.stored, again.duplicates, again.nodesUpdated, again.nodesCreated], [0, mesh.packets.length, 0, 0]);
    assert.is(counts(), before);
    assert.is(query(s.db, 'SELECT 1 FROM transmissions').length, mesh.packets.length);

    // The same advert heard after one more relay, no hash given: a duplicate of the stored one
    const advert = mesh.packets.find((p) => p.advert !== null && p.encoded.hashSize === 1 && !p.encoded.transportCodes)!;
    const d = decodePacket(advert.raw_hex)!;
    const relayed = Buffer.from(encodePacket({ ...d, hops: [...d.hops, 'ee'] })).toString('hex');
    const out = importJson(s.db, '-', `${JSON.stringify({ raw_hex: relayed.toUpperCase() })}\n`);
    assert.equal([out.stored, out.duplicates], [0, 1]);
    assert.is(counts(), before);
  } finally {
    s.cleanup();
  }
});

test('bad lines: reported with line number and reason, skipped; the rest stored; exit 0', () => {
  const s = migrated();
  try {
    const good = readFileSync(REAL, 'utf8').trim().split('\n');
    const lines = [
      good[0], // 1
      'this is not json', // 2
      '{"first_seen":"2026-03-01T00:00:00Z"}', // 3
      '{"raw_hex":"11zz"}', // 4
      '{"raw_hex":"11"}', // 5: header only
      '{"raw_hex":"1103aabb"}', // 6: 3 hops claimed, 2 bytes
      '{"raw_hex":"11c0"}', // 7: reserved hash size
      `{"raw_hex":"1100${'ab'.repeat(20)}"}`, // 8: advert of 20 bytes
      '', // 9: blank, ignored
      '[1,2]', // 10
      JSON.stringify({ raw_hex: JSON.parse(good[1]!).raw_hex, first_seen: 'yesterday' }), // 11
      good[2], // 12
    ];
    writeFileSync(join(s.dir, 'in.jsonl'), lines.join('\n'));
    const r = ingestor(['import', '--db', s.db, join(s.dir, 'in.jsonl')]);
    assert.is(r.code, 0, r.stderr);
    for (const expected of [
      /line 2: not JSON \(.*\); skipped/,
      /line 3: no raw_hex; skipped/,
      /line 4: raw_hex is not hex \("z" at character 3\); skipped/,
      /line 5: not a valid MeshCore packet: 1 byte ends before the path-length byte/,
      /line 6: not a valid MeshCore packet: path claims 3 bytes, 2 present/,
      /line 7: not a valid MeshCore packet: path-length byte 0xc0 uses the reserved hash size/,
      /line 8: ADVERT payload is 20 bytes, too short for a public key \(32\); skipped/,
      /line 10: not a JSON object; skipped/,
      /line 11: first_seen is not an ISO 8601 time \("yesterday"\); skipped/,
    ]) {
      assert.match(r.stderr, expected);
    }
    assert.not.match(r.stderr, /line (1|9|12):/);
    assert.match(r.stderr, /11 lines read, 2 stored, 0 duplicates, 9 bad/);
    assert.is(query(s.db, 'SELECT 1 FROM transmissions').length, 2);

    // --max-bad stops early, keeps what it committed, exits 1
    const strict = ingestor(['import', '--db', migrated().db, '--max-bad', '1', join(s.dir, 'in.jsonl')]);
    assert.is(strict.code, 1);
    assert.match(strict.stderr, /stopped \(more than 1 bad lines \(--max-bad\), at line 3\)/);
  } finally {
    s.cleanup();
  }
});

test('a key already in inactive_nodes (any case) is updated there, never copied into nodes', () => {
  const s = migrated();
  try {
    const key = '3fde46c36c804bd358096b5607c7c122b9994343a5a59ec779994fa667a86355'; // Kings Island Repeater
    const other = '293fe903e6554e6194759505aabed55a15cf57a3c1cddd4034b59a0127d0faf5'; // Charles Evans Hughes
    const conn = new Database(s.db);
    conn
      .prepare(
        "INSERT INTO inactive_nodes (public_key, name, advert_count, last_seen, first_seen) VALUES (?, 'old', 5, '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')",
      )
      .run(key.toUpperCase());
    conn.prepare("INSERT INTO nodes (public_key, name, advert_count) VALUES (?, 'mixed', 1)").run(other.slice(0, 10).toUpperCase() + other.slice(10));
    conn.close();
    const out = importJson(s.db, REAL);
    assert.equal([out.nodesCreated, out.nodesUpdated, out.inactiveUpdated], [2, 22, 2]);
    const inactive = query<NodeRow>(s.db, 'SELECT * FROM inactive_nodes');
    assert.equal(
      inactive.map((n) => [n.public_key, n.name, n.advert_count, n.first_seen, n.last_seen]),
      [[key.toUpperCase(), 'Kings Island Repeater', 7, '2026-01-01T00:00:00Z', '2026-03-27T17:49:45.533Z']],
    );
    const nodes = query<NodeRow>(s.db, 'SELECT * FROM nodes WHERE lower(public_key) IN (?, ?)', key, other);
    assert.equal(
      nodes.map((n) => [n.public_key.slice(0, 10), n.name, n.advert_count]),
      [[other.slice(0, 10).toUpperCase(), 'Charles Evans Hughes', 23]],
    );
  } finally {
    s.cleanup();
  }
});

test.run();
