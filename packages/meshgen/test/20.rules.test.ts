import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { expectedStatuses, generateMesh, toJsonLine, toJsonLines, type GeneratedNode, type GeneratedPacket } from '../src/index.ts';

const NOW = '2026-04-01T00:00:00.000Z';
const WEEK = 7 * 86_400_000;
const daysAgo = (days: number) => new Date(Date.parse(NOW) - days * 86_400_000).toISOString();

function node(publicKey: string): GeneratedNode {
  return {
    publicKey,
    name: publicKey.slice(0, 4),
    role: 'repeater',
    lat: null,
    lon: null,
    hashSize: 1,
    multibyteRelay: false,
    activity: 'live',
    inactive: false,
    planned: 'unknown',
  };
}

function packet(payloadType: number, hashSize: 1 | 2 | 3, hops: string[], firstSeen: string, advertKey?: string, routeType = 1): GeneratedPacket {
  return {
    raw_hex: '',
    first_seen: firstSeen,
    hash: '',
    encoded: { routeType, payloadType, payloadVersion: 0, transportCodes: null, hashSize, hops, payload: '' },
    advert: advertKey === undefined ? null : { publicKey: advertKey, timestamp: 0, signature: '', type: 2 },
    origin: advertKey ?? '',
  };
}

const A = `aa11${'0'.repeat(60)}`;
const B = `aa22${'1'.repeat(60)}`;
const C = `bb33${'2'.repeat(60)}`;
const D = `cc44${'3'.repeat(60)}`;
const E = `aa22f0${'4'.repeat(58)}`; // shares B's 2-byte prefix on purpose
const F = `dd55${'5'.repeat(60)}`;

test('the rules, checked by hand on packets built by hand', () => {
  const nodes = [A, B, C, D, E, F].map(node);
  const packets = [
    packet(4, 1, [], daysAgo(1), A), // A: 1-byte advert: nothing
    packet(4, 2, [], daysAgo(8), C), // C: 2-byte advert, but 8 days ago: outside the window
    packet(4, 2, [], daysAgo(6.9), D.toUpperCase()), // D: 2-byte zero-hop advert in the window, key in upper case: confirmed
    packet(2, 2, ['AA22'], daysAgo(2)), // B and E share the 2-byte hop: both suspected
    packet(9, 2, ['bb33', 'dd55'], daysAgo(1)), // TRACE: SNR bytes, never hops
    packet(9, 2, ['bb33'], daysAgo(1), undefined, 2), // TRACE sent direct: the same
    packet(5, 1, ['cc', 'dd'], daysAgo(1)), // 1-byte hops: nothing
    packet(2, 3, ['cc4433'], daysAgo(1)), // a 3-byte hop matching D (already confirmed: stays confirmed)
    packet(4, 2, [], daysAgo(1), A, 2), // A: zero-hop direct advert: its size bits say nothing
    packet(4, 3, [], daysAgo(1), F, 3), // F: zero-hop transport-direct advert: nothing either
  ];
  assert.equal(expectedStatuses(nodes, packets, { now: NOW, windowMs: WEEK }), {
    [A]: 'unknown',
    [B]: 'suspected',
    [C]: 'unknown',
    [D]: 'confirmed',
    [E]: 'suspected',
    [F]: 'unknown',
  });
  // PATH (8) hops are relays' own hashes: they count
  assert.is(expectedStatuses(nodes, [...packets, packet(8, 2, ['dd55'], daysAgo(1))], { now: NOW, windowMs: WEEK })[F], 'suspected');
  // A zero-hop flood advert carries its sender's setting; a relayed direct advert counts too
  assert.is(expectedStatuses(nodes, [packet(4, 2, [], daysAgo(1), A, 0)], { now: NOW, windowMs: WEEK })[A], 'confirmed');
  assert.is(expectedStatuses(nodes, [packet(4, 2, ['bb33'], daysAgo(1), A, 2)], { now: NOW, windowMs: WEEK })[A], 'confirmed');
  // No window: C's old advert counts
  assert.is(expectedStatuses(nodes, packets, { now: NOW, windowMs: null })[C], 'confirmed');
  // A 3-byte hop that matches only E's 3-byte prefix
  const more = [...packets, packet(2, 3, ['aa22f0'], daysAgo(1))];
  assert.is(expectedStatuses([node(E)], more.slice(-1), { now: NOW, windowMs: WEEK })[E], 'suspected');
  assert.is(expectedStatuses([node(B)], more.slice(-1), { now: NOW, windowMs: WEEK })[B], 'unknown');
});

test('seed 1, eight nodes, no extra traffic: each archetype has the status it was planted with', () => {
  const mesh = generateMesh({ seed: 1, nodes: 8, packets: 0 });
  const shape = mesh.nodes.map((n) => `${n.role} ${n.hashSize}-byte ${n.activity}${n.inactive ? ' inactive' : ''}: ${mesh.expected[n.publicKey]}`);
  assert.equal(shape, [
    'companion 2-byte live: confirmed',
    'repeater 1-byte live: suspected',
    'companion 1-byte live: unknown',
    'repeater 3-byte live inactive: confirmed',
    'repeater 2-byte relay-only inactive: suspected',
    'sensor 2-byte silent inactive: unknown',
    'room 1-byte live: unknown',
    'sensor 2-byte live: confirmed',
  ]);
  const since = Date.parse(mesh.now) - mesh.windowMs;
  const inWindow = mesh.packets.filter((p) => Date.parse(p.first_seen) >= since);
  const [, relay, , , relayOnly, silent] = mesh.nodes;

  // The silent sensor's 2-byte adverts are all older than the window; over all time it would be confirmed
  const silentAdverts = mesh.packets.filter((p) => p.advert?.publicKey === silent!.publicKey);
  assert.ok(silentAdverts.length > 0 && silentAdverts.every((p) => Date.parse(p.first_seen) < since && p.encoded.hashSize === 2));
  assert.is(expectedStatuses(mesh.nodes, mesh.packets, { now: mesh.now, windowMs: null })[silent!.publicKey], 'confirmed');

  // The relay-only repeater adverts only before the window, and relays a multi-byte path inside it
  assert.ok(inWindow.every((p) => p.advert?.publicKey !== relayOnly!.publicKey));
  assert.ok(
    inWindow.some(
      (p) => p.encoded.hashSize >= 2 && p.encoded.payloadType !== 8 && p.encoded.hops.includes(relayOnly!.publicKey.slice(0, p.encoded.hashSize * 2)),
    ),
  );

  // The 1-byte repeater adverts with 1 byte, and is a hop of a multi-byte packet in the window
  assert.ok(mesh.packets.filter((p) => p.advert?.publicKey === relay!.publicKey).every((p) => p.encoded.hashSize === 1));
  assert.ok(inWindow.some((p) => p.encoded.hashSize >= 2 && p.encoded.hops.includes(relay!.publicKey.slice(0, p.encoded.hashSize * 2))));

  // Every node adverts at least once, so an import creates every row
  for (const n of mesh.nodes)
    assert.ok(
      mesh.packets.some((p) => p.advert?.publicKey === n.publicKey),
      n.name,
    );
});

test('JSON lines: one object a line, hash optional', () => {
  const mesh = generateMesh({ seed: 2, nodes: 8, packets: 20 });
  const text = toJsonLines(mesh.packets);
  const lines = text.split('\n');
  assert.is(lines.pop(), '');
  assert.is(lines.length, mesh.packets.length);
  assert.equal(JSON.parse(lines[0]!), { raw_hex: mesh.packets[0]!.raw_hex, first_seen: mesh.packets[0]!.first_seen, hash: mesh.packets[0]!.hash });
  assert.equal(Object.keys(JSON.parse(toJsonLine(mesh.packets[0]!, { omitHash: true }))), ['raw_hex', 'first_seen']);
});

test.run();
