// The capability rules' edge cases on real SQLite files: packets encoded as the firmware
// sends them, stored in `transmissions`, rated by `mbcap-server publish` (the snapshot) and
// by `run` (the HTTP API, which also reports maxHashSize).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readSnapshot } from '@mbcap/snapshot';
import { encodeAdvert, encodePacket, PAYLOAD_TYPE, ROUTE_TYPE, toHex } from '@mbcap/meshcore';
import { keyWith, minutesAgo, scratch, seedDb, server, startServer, type Seed } from './helpers.js';

/** Any packet: transport codes for route types 0 and 3, so the path-length byte sits at offset 5. */
function packet(routeType: number, payloadType: number, hashSize: number, hops: string[], payload: Uint8Array): string {
  const transportCodes: [number, number] | null = routeType === 0 || routeType === 3 ? [0x1234, 0xabcd] : null;
  return toHex(encodePacket({ routeType, payloadType, transportCodes, hashSize, hops, payload }));
}

function advertFrom(key: string, routeType: number, hashSize: number, hops: string[] = []): string {
  const payload = encodeAdvert({ publicKey: key, timestamp: 1_790_000_000, type: 2, name: `node ${key.slice(0, 4)}` });
  return packet(routeType, PAYLOAD_TYPE.ADVERT, hashSize, hops, payload);
}

/** TRACE: tag, auth code, flags (0b01: 2-byte traced hashes), the traced hashes; the path holds SNRs. */
function trace(routeType: number, snrs: string[], traced: string[]): string {
  const payload = Uint8Array.from(Buffer.from(`0a0b0c0d0102030401${traced.join('')}`, 'hex'));
  return packet(routeType, PAYLOAD_TYPE.TRACE, 2, snrs, payload);
}

/** PATH: destination and source hashes, MAC, encrypted returned path; flooded through relays. */
function returnedPath(hashSize: number, hops: string[]): string {
  return packet(
    ROUTE_TYPE.FLOOD,
    PAYLOAD_TYPE.PATH,
    hashSize,
    hops,
    Uint8Array.from({ length: 20 }, (_, i) => i * 7),
  );
}

const K = {
  traceDirect: keyWith('a1a1a1'), // unknown: named only in a direct TRACE's 2-byte path
  traceFlood: keyWith('a2a2a2'), // unknown: named only in a flooded TRACE's 3-byte path
  traceByHeader: keyWith('a3a3a3'), // unknown: in a TRACE whose payload_type column is NULL
  pathRelay: keyWith('b1b1b1'), // suspected (2): a relay in a PATH packet
  pathByHeader: keyWith('b2b2b2'), // suspected (3): a PATH packet, payload_type NULL
  zeroDirect: keyWith('c1c1c1'), // unknown: zero-hop direct advert with pl = 0x40
  zeroTransportDirect: keyWith('c2c2c2'), // unknown: zero-hop transport-direct advert, pl = 0x80 at offset 5
  zeroDirectNoRaise: keyWith('c3c3c3'), // confirmed (2): a 2-byte flood advert; its 3-byte zero-hop direct advert raises nothing
  zeroFlood: keyWith('d1d1d1'), // confirmed (2): zero-hop flood advert, pl = 0x40
  zeroTransportFlood: keyWith('d2d2d2'), // confirmed (3): zero-hop transport-flood advert, pl = 0x80 at offset 5
  relayedFlood: keyWith('e1e1e1'), // confirmed (3): flood advert through two 3-byte relays
  relayedDirect: keyWith('e2e2e2'), // confirmed (2): direct advert through one 2-byte relay
  transportDirectHop: keyWith('f1f1f1'), // suspected (3): hop of a transport-direct TXT_MSG
  transportFloodHop: keyWith('f2f2f2'), // suspected (2): hop of a transport-flood GRP_TXT
} as const;

const expected: Record<keyof typeof K, [string, string | undefined, number]> = {
  traceDirect: ['unknown', undefined, 1],
  traceFlood: ['unknown', undefined, 1],
  traceByHeader: ['unknown', undefined, 1],
  pathRelay: ['suspected', 'path', 2],
  pathByHeader: ['suspected', 'path', 3],
  zeroDirect: ['unknown', undefined, 1],
  zeroTransportDirect: ['unknown', undefined, 1],
  zeroDirectNoRaise: ['confirmed', 'advert', 2],
  zeroFlood: ['confirmed', 'advert', 2],
  zeroTransportFlood: ['confirmed', 'advert', 3],
  relayedFlood: ['confirmed', 'advert', 3],
  relayedDirect: ['confirmed', 'advert', 2],
  transportDirectHop: ['suspected', 'path', 3],
  transportFloodHop: ['suspected', 'path', 2],
};

const prefix = (key: string, bytes: number) => key.slice(0, bytes * 2);
const txt = new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]);

function seed(): Seed {
  const packets: { raw_hex: string; payload_type?: number | null }[] = [
    { raw_hex: trace(ROUTE_TYPE.DIRECT, [prefix(K.traceDirect, 2)], [prefix(K.traceDirect, 2), prefix(K.pathRelay, 2)]) },
    { raw_hex: packet(ROUTE_TYPE.FLOOD, PAYLOAD_TYPE.TRACE, 3, [prefix(K.traceFlood, 3)], new Uint8Array(9)) },
    { raw_hex: trace(ROUTE_TYPE.DIRECT, [prefix(K.traceByHeader, 2)], [prefix(K.traceByHeader, 2)]), payload_type: null },
    { raw_hex: returnedPath(2, ['0000', prefix(K.pathRelay, 2)]) },
    { raw_hex: returnedPath(3, [prefix(K.pathByHeader, 3)]), payload_type: null },
    { raw_hex: advertFrom(K.zeroDirect, ROUTE_TYPE.DIRECT, 2) },
    { raw_hex: advertFrom(K.zeroTransportDirect, ROUTE_TYPE.TRANSPORT_DIRECT, 3) },
    { raw_hex: advertFrom(K.zeroDirectNoRaise, ROUTE_TYPE.FLOOD, 2, ['0101']) },
    { raw_hex: advertFrom(K.zeroDirectNoRaise, ROUTE_TYPE.DIRECT, 3) },
    { raw_hex: advertFrom(K.zeroFlood, ROUTE_TYPE.FLOOD, 2) },
    { raw_hex: advertFrom(K.zeroTransportFlood, ROUTE_TYPE.TRANSPORT_FLOOD, 3) },
    { raw_hex: advertFrom(K.relayedFlood, ROUTE_TYPE.FLOOD, 3, ['010101', '020202']) },
    { raw_hex: advertFrom(K.relayedDirect, ROUTE_TYPE.DIRECT, 2, ['0303']) },
    { raw_hex: packet(ROUTE_TYPE.TRANSPORT_DIRECT, PAYLOAD_TYPE.TXT_MSG, 3, [prefix(K.transportDirectHop, 3)], txt) },
    { raw_hex: packet(ROUTE_TYPE.TRANSPORT_FLOOD, PAYLOAD_TYPE.GRP_TXT, 2, [prefix(K.transportFloodHop, 2)], txt) },
  ];
  return { nodes: Object.values(K).map((key) => ({ key })), packets: packets.map((p) => ({ ...p, first_seen: minutesAgo(30) })) };
}

test('the packets are laid out as the firmware sends them', () => {
  const traced = trace(ROUTE_TYPE.DIRECT, ['f4f4'], ['a1a1']);
  assert.is(traced.slice(0, 4), '2641', 'TRACE (9), direct, one 2-byte SNR reading');
  assert.is(traced.slice(8), '0a0b0c0d0102030401a1a1', 'tag, auth code, flags, traced hashes');
  assert.is(packet(ROUTE_TYPE.FLOOD, PAYLOAD_TYPE.TRACE, 3, ['000000'], new Uint8Array(9)).slice(0, 4), '2581', 'TRACE (9), flood');
  assert.is(returnedPath(2, ['0000', '0101']).slice(0, 4), '2142', 'PATH (8), flood, two 2-byte hops');
  assert.is(advertFrom(K.zeroDirect, ROUTE_TYPE.DIRECT, 2).slice(0, 4), '1240', 'ADVERT, direct, zero hops, 2-byte bits');
  const transportDirect = advertFrom(K.zeroTransportDirect, ROUTE_TYPE.TRANSPORT_DIRECT, 3);
  assert.equal([transportDirect.slice(0, 2), transportDirect.slice(10, 12)], ['13', '80'], 'transport-direct; path-length byte at offset 5');
});

test('publish --json and the snapshot: TRACE never counts, PATH does, zero-hop direct adverts confirm nothing', async () => {
  const s = scratch();
  try {
    seedDb(s.db, seed());
    const r = server('publish', '--db', s.db, '--json', '--window', 'all');
    assert.is(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    const statuses = Object.values(expected).map(([status]) => status);
    const count = (status: string) => statuses.filter((x) => x === status).length;
    assert.equal([out.packets, out.confirmed, out.suspected, out.unknown], [15, count('confirmed'), count('suspected'), count('unknown')]);

    const { snapshot } = await readSnapshot(s.db);
    const byKey = new Map(snapshot.entries.map((e) => [e.public_key, [e.status, e.evidence]]));
    for (const [name, key] of Object.entries(K)) {
      const [status, evidence] = expected[name as keyof typeof K];
      assert.equal(byKey.get(key), [status, evidence], name);
    }
  } finally {
    s.cleanup();
  }
});

test('the HTTP API: maxHashSize from adverts, never from a zero-hop direct one', async () => {
  const s = scratch();
  seedDb(s.db, seed());
  const run = startServer('--db', s.db, '--port', '0', '--interval', '1h', '--window', 'all');
  try {
    const port = await run.port();
    type Body = { seq: number | null; entries: { public_key: string; status: string; evidence?: string; maxHashSize: number }[] };
    // The first publish runs at start
    let body: Body = { seq: null, entries: [] };
    for (let i = 0; i < 250 && body.seq === null; i++) {
      body = (await (await fetch(`http://127.0.0.1:${port}/api/multibyte-capability`)).json()) as Body;
      if (body.seq === null) await new Promise((r) => setTimeout(r, 20));
    }
    assert.is(body.seq, 1);
    // Unknown comes with evidence "", as upstream gives it
    const byKey = new Map(body.entries.map((e) => [e.public_key, [e.status, e.evidence || undefined, e.maxHashSize]]));
    for (const [name, key] of Object.entries(K)) assert.equal(byKey.get(key), expected[name as keyof typeof K], name);
    run.child.kill('SIGTERM');
    assert.is(await run.exited, 0, run.log());
  } finally {
    run.child.kill('SIGKILL');
    s.cleanup();
  }
});

test.run();
