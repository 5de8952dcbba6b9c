import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { decodeAdvert, decodePacket, encodePacket, packetHash, payloadTypeName, routeTypeName, toHex } from '../src/index.ts';

// Real packets of a live mesh, kept in the repo (the demo imports the same file).
const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const dataFile = join(repoRoot, 'apps', 'demo', 'data', 'real-packets.jsonl');

type Row = { raw_hex: string; first_seen: string; hash: string };
const rows: Row[] = readFileSync(dataFile, 'utf8')
  .split('\n')
  .filter((line) => line.trim() !== '')
  .map((line) => JSON.parse(line) as Row);

function decoded(index: number) {
  const packet = decodePacket(rows[index]!.raw_hex);
  assert.ok(packet, `packet ${index} decodes`);
  return packet!;
}

function tally(values: (string | number)[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const value of values) counts[value] = (counts[value] ?? 0) + 1;
  return counts;
}

test('all 54 real packets decode, and every ADVERT payload too', () => {
  assert.is(rows.length, 54);
  rows.forEach((row, i) => {
    const packet = decodePacket(row.raw_hex);
    assert.ok(packet, `packet ${i} (${row.hash})`);
    if (packet!.payloadType === 4) assert.ok(decodeAdvert(packet!.payload), `advert ${i} (${row.hash})`);
  });
});

test('packetHash gives the hash CoreScope stored for every real packet', () => {
  for (const row of rows) {
    const packet = decodePacket(row.raw_hex)!;
    assert.is(packetHash(Number.parseInt(row.raw_hex.slice(0, 2), 16), packet.payload), row.hash, row.raw_hex);
  }
});

test('re-encoding each decoded packet gives its raw bytes back', () => {
  for (const row of rows) {
    const p = decodePacket(row.raw_hex)!;
    assert.is(toHex(encodePacket({ ...p, hops: p.hops, payload: p.payload })), row.raw_hex.toLowerCase());
  }
});

test('distribution: flood and direct only, 1-byte hashes only', () => {
  const packets = rows.map((row) => decodePacket(row.raw_hex)!);
  assert.equal(tally(packets.map((p) => routeTypeName(p.routeType))), { flood: 30, direct: 24 });
  assert.equal(tally(packets.map((p) => payloadTypeName(p.payloadType))), {
    ADVERT: 26,
    RESPONSE: 21,
    GRP_TXT: 4,
    REQ: 2,
    CONTROL: 1,
  });
  assert.equal(tally(packets.map((p) => p.hashSize)), { 1: 54 });
  assert.equal(tally(packets.map((p) => p.hopCount)), { 0: 37, 1: 4, 2: 2, 3: 1, 4: 6, 5: 2, 6: 1, 8: 1 });
});

test('first packet: flood ADVERT through 4 one-byte hops from "Charles Evans Hughes"', () => {
  assert.is(rows[0]!.raw_hex.slice(0, 4), '1104');
  const p = decoded(0);
  assert.equal([p.routeType, p.payloadType, p.payloadVersion, p.transportCodes], [1, 4, 0, null]);
  assert.equal([p.pathLenByte, p.hashSize, p.hopCount], [0x04, 1, 4]);
  assert.equal(p.hops, ['25', 'd0', '77', 'ee']);
  assert.is(p.payload.length, 135 - 6);
  const advert = decodeAdvert(p.payload)!;
  assert.is(advert.publicKey, '293fe903e6554e6194759505aabed55a15cf57a3c1cddd4034b59a0127d0faf5');
  assert.is(new Date(advert.timestamp * 1000).toISOString(), '2026-03-18T09:03:24.000Z');
  assert.equal([advert.flags, advert.role, advert.lat, advert.lon], [0x92, 'repeater', 0, 0]);
  assert.is(advert.name, 'Charles Evans Hughes');
});

test('a zero-hop flood ADVERT with a location: "Kings Island Repeater"', () => {
  assert.is(rows[27]!.first_seen, '2026-03-27 05:49:44');
  const p = decoded(27);
  assert.equal([p.routeType, p.payloadType, p.pathLenByte, p.hashSize, p.hops], [1, 4, 0x00, 1, []]);
  const advert = decodeAdvert(p.payload)!;
  assert.is(advert.publicKey, '3fde46c36c804bd358096b5607c7c122b9994343a5a59ec779994fa667a86355');
  assert.equal([advert.role, advert.lat, advert.lon], ['repeater', 37.85787, -121.567435]);
  assert.is(advert.name, 'Kings Island Repeater');
});

test('a name with a 4-byte UTF-8 character, and a 3-hop advert', () => {
  assert.is(decodeAdvert(decoded(48).payload)!.name, 'ECOY🌳');
  const p = decoded(52);
  assert.equal([p.pathLenByte, p.hops], [0x03, ['6d', '7d', '4a']]);
  const advert = decodeAdvert(p.payload)!;
  assert.is(advert.publicKey.slice(0, 8), 'd0419ca1');
  assert.equal([advert.lat, advert.lon, advert.name], [37.512247, -121.880994, 'Mission Peek 2']);
});

test('direct packets: zero hops and one hop', () => {
  const zero = decoded(8);
  assert.equal([zero.routeType, zero.payloadType, zero.pathLenByte, zero.hops, zero.payload.length], [2, 11, 0, [], 38]);
  const one = decoded(44);
  assert.equal([one.routeType, one.payloadType, one.pathLenByte, one.hops, toHex(one.payload.subarray(0, 2))], [2, 1, 0x01, ['8a'], '1f33']);
});

test('a capture whose tail was overwritten still decodes; the name is what the bytes say', () => {
  const p = decoded(7);
  assert.equal(p.hops, ['25', 'b3', 'f7', '52']);
  const advert = decodeAdvert(p.payload)!;
  assert.is(advert.publicKey.slice(0, 8), '293fe903');
  assert.ok(advert.name!.startsWith('Charles Evans'));
  assert.is.not(advert.name, 'Charles Evans Hughes');
});

test.run();
