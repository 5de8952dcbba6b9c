import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { decodeAdvert, decodePacket, packetHash, PAYLOAD_TYPE, ROUTE_TYPE, toHex } from '@mbcap/meshcore';
import { generateMesh, toJsonLines, type CapabilityStatus, type MeshState, type NodeRole } from '../src/index.ts';

const small = (seed: number) => generateMesh({ seed, nodes: 30, packets: 400 });
const mesh = generateMesh({ seed: 7 });

test('determinism: the same seed gives identical output; another seed a different mesh', () => {
  assert.equal(small(3), small(3));
  assert.equal(toJsonLines(small(3).packets), toJsonLines(small(3).packets));
  const [a, b] = [small(3), small(4)];
  assert.is.not(a.nodes[0]!.publicKey, b.nodes[0]!.publicKey);
  assert.is.not(toJsonLines(a.packets), toJsonLines(b.packets));
  // No clock: the default `now` is fixed
  assert.is(generateMesh({ nodes: 8, packets: 0 }).now, '2026-04-01T00:00:00.000Z');
});

test('every packet decodes back to exactly what was encoded', () => {
  for (const packet of mesh.packets) {
    const decoded = decodePacket(packet.raw_hex);
    assert.ok(decoded, packet.raw_hex);
    const { encoded } = packet;
    assert.is(packet.raw_hex, packet.raw_hex.toLowerCase());
    assert.is(decoded.routeType, encoded.routeType);
    assert.is(decoded.payloadType, encoded.payloadType);
    assert.is(decoded.payloadVersion, encoded.payloadVersion);
    assert.equal(decoded.transportCodes, encoded.transportCodes);
    assert.is(decoded.hashSize, encoded.hashSize);
    assert.equal(decoded.hops, encoded.hops);
    assert.is(toHex(decoded.payload), encoded.payload);
    assert.is(packet.hash, packetHash(Number.parseInt(packet.raw_hex.slice(0, 2), 16), decoded.payload));
    if (encoded.payloadType === PAYLOAD_TYPE.ADVERT) {
      const advert = decodeAdvert(decoded.payload)!;
      const input = packet.advert!;
      assert.is(advert.publicKey, input.publicKey);
      assert.is(advert.publicKey, packet.origin);
      assert.is(advert.timestamp, input.timestamp);
      assert.is(advert.signature, input.signature);
      assert.is(advert.type, input.type);
      assert.is(advert.lat, input.lat ?? null);
      assert.is(advert.lon, input.lon ?? null);
      assert.is(advert.name, input.name);
      assert.is(advert.truncated, false);
    } else {
      assert.is(packet.advert, null);
    }
  }
});

test('packets: unique hashes, ISO times inside the span, oldest first, every kind present', () => {
  const hashes = new Set(mesh.packets.map((p) => p.hash));
  assert.is(hashes.size, mesh.packets.length);
  const end = Date.parse(mesh.now);
  let previous = '';
  for (const packet of mesh.packets) {
    assert.match(packet.first_seen, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    const time = Date.parse(packet.first_seen);
    assert.ok(time <= end && time >= end - 10 * 86_400_000, packet.first_seen);
    assert.ok(packet.first_seen >= previous);
    previous = packet.first_seen;
  }
  const kinds = new Set(mesh.packets.map((p) => `${p.encoded.payloadType}`));
  for (const type of [PAYLOAD_TYPE.TXT_MSG, PAYLOAD_TYPE.ACK, PAYLOAD_TYPE.ADVERT, PAYLOAD_TYPE.GRP_TXT, PAYLOAD_TYPE.PATH, PAYLOAD_TYPE.TRACE]) {
    assert.ok(kinds.has(`${type}`), `payload type ${type}`);
  }
  assert.equal(
    [...kinds].sort((a, b) => Number(a) - Number(b)),
    ['2', '3', '4', '5', '8', '9'],
    'firmware numbers only',
  );
  const routes = new Set(mesh.packets.map((p) => p.encoded.routeType));
  for (const route of [0, 1, 2]) assert.ok(routes.has(route as 0 | 1 | 2), `route type ${route}`);
  const sizes = new Set(mesh.packets.map((p) => p.encoded.hashSize));
  assert.equal([...sizes].sort(), [1, 2, 3]);
  // Zero-hop multi-byte adverts (pl = 0x40 style) and TRACEs whose path is SNR bytes
  assert.ok(mesh.packets.some((p) => p.encoded.payloadType === 4 && p.encoded.hashSize === 2 && p.encoded.hops.length === 0));
  assert.ok(mesh.packets.some((p) => p.encoded.payloadType === PAYLOAD_TYPE.TRACE && p.encoded.hops.length > 0));
  // Returned PATHs flooded through multi-byte relays
  assert.ok(mesh.packets.some((p) => p.encoded.payloadType === PAYLOAD_TYPE.PATH && p.encoded.hashSize >= 2 && p.encoded.hops.length > 0));
  // Packets older than the window exist (they must not count)
  assert.ok(mesh.packets.some((p) => Date.parse(p.first_seen) < end - mesh.windowMs));
});

test('TRACEs as firmware sends them: type 9, direct, SNR path at the width the flags ask for', () => {
  const traces = mesh.packets.filter((p) => p.encoded.payloadType === PAYLOAD_TYPE.TRACE);
  assert.ok(traces.length > 10);
  const widths = new Set<number>();
  for (const packet of traces) {
    const decoded = decodePacket(packet.raw_hex)!;
    assert.is(decoded.payloadType, 9);
    assert.is(decoded.routeType, ROUTE_TYPE.DIRECT);
    // tag (4), auth code (4), flags (1), then the traced hashes, 1 << (flags & 3) bytes each
    const width = 1 << (decoded.payload[8]! & 0x03);
    const hashes = decoded.payload.subarray(9);
    assert.ok(hashes.length > 0 && hashes.length % width === 0, packet.hash);
    assert.is(decoded.hashSize, width, 'the path is as wide as the traced hashes');
    assert.ok(decoded.hopCount <= hashes.length / width, 'one SNR reading per hop so far');
    widths.add(width);
  }
  assert.equal([...widths].sort(), [1, 2]);
});

test("a zero-hop direct packet carries path byte 0x00 whatever its sender's setting", () => {
  const zeroHopDirect = mesh.packets.filter((p) => p.encoded.routeType === ROUTE_TYPE.DIRECT && p.encoded.hops.length === 0);
  assert.ok(zeroHopDirect.length > 10);
  const multiByteOrigins = new Set(mesh.nodes.filter((n) => n.hashSize >= 2).map((n) => n.publicKey));
  assert.ok(zeroHopDirect.some((p) => multiByteOrigins.has(p.origin)));
  for (const packet of zeroHopDirect) assert.is(packet.raw_hex.slice(2, 4), '00', packet.hash);
});

test('nodes: every role, a firmware mix, locations in one region, unique names and keys', () => {
  assert.is(mesh.nodes.length, 120);
  const roles = new Set<NodeRole>(mesh.nodes.map((n) => n.role));
  assert.equal([...roles].sort(), ['companion', 'repeater', 'room', 'sensor']);
  const bySize = [1, 2, 3].map((size) => mesh.nodes.filter((n) => n.hashSize === size).length);
  assert.ok(bySize[0]! > bySize[1]! && bySize[1]! > 0 && bySize[2]! > 0, `hash sizes ${bySize}`);
  for (const node of mesh.nodes) {
    assert.match(node.publicKey, /^[0-9a-f]{64}$/);
    if (node.lat !== null) assert.ok(node.lat > 37 && node.lat < 38 && node.lon! > -123 && node.lon! < -121, node.name);
    assert.ok(new TextEncoder().encode(node.name).length <= 32, node.name);
  }
  assert.is(new Set(mesh.nodes.map((n) => n.name)).size, mesh.nodes.length);
  assert.is(new Set(mesh.nodes.map((n) => n.publicKey.slice(0, 4))).size, mesh.nodes.length, '2-byte prefixes unique');
  assert.is(new Set(mesh.nodes.map((n) => n.publicKey.slice(0, 6))).size, mesh.nodes.length, '3-byte prefixes unique');
  const big = generateMesh({ seed: 9, nodes: 2000, packets: 0 });
  assert.is(new Set(big.nodes.map((n) => n.publicKey.slice(0, 4))).size, 2000);
});

test('multi-byte hops name exactly one node each; TRACE paths are left aside', () => {
  const byPrefix = new Map<string, number>();
  for (const node of mesh.nodes) for (const len of [4, 6]) byPrefix.set(node.publicKey.slice(0, len), (byPrefix.get(node.publicKey.slice(0, len)) ?? 0) + 1);
  for (const packet of mesh.packets) {
    if (packet.encoded.hashSize < 2 || packet.encoded.payloadType === PAYLOAD_TYPE.TRACE) continue;
    for (const hop of packet.encoded.hops) assert.is(byPrefix.get(hop), 1, `hop ${hop}`);
  }
});

function census(state: MeshState): Record<string, number> {
  const out: Record<string, number> = {};
  for (const node of state.nodes) {
    const key = `${state.expected[node.publicKey]}/${node.inactive ? 'inactive' : 'active'}`;
    out[key] = (out[key] ?? 0) + 1;
  }
  return out;
}

test('statuses: planted = computed, every status present among active and inactive nodes', () => {
  for (const state of [mesh, small(1), small(2), generateMesh({ seed: 5, nodes: 8, packets: 50 })]) {
    for (const node of state.nodes)
      assert.is(state.expected[node.publicKey], node.planned, `${node.name} (${node.role}, ${node.hashSize}-byte, ${node.activity})`);
    const seen = census(state);
    for (const status of ['confirmed', 'suspected', 'unknown'] satisfies CapabilityStatus[]) {
      assert.ok(seen[`${status}/active`]! > 0, `${status} active in seed ${state.seed}`);
      assert.ok(seen[`${status}/inactive`]! > 0, `${status} inactive in seed ${state.seed}`);
    }
  }
  const roles = (status: CapabilityStatus) => new Set(mesh.nodes.filter((n) => mesh.expected[n.publicKey] === status).map((n) => n.role));
  assert.ok(roles('confirmed').size >= 3, 'confirmed nodes of several roles');
});

test('misuse throws naming the option', () => {
  assert.throws(
    () => generateMesh({ nodes: 3 }),
    (e: Error) => e instanceof RangeError && /"nodes"/.test(e.message),
  );
  assert.throws(
    () => generateMesh({ seed: 1.5 }),
    (e: Error) => e instanceof TypeError && /"seed"/.test(e.message),
  );
  assert.throws(
    () => generateMesh({ spanMs: 1000 }),
    (e: Error) => e instanceof RangeError && /"spanMs"/.test(e.message),
  );
  assert.throws(
    () => generateMesh({ now: 'never' }),
    (e: Error) => e instanceof TypeError && /"now"/.test(e.message),
  );
});

test.run();
