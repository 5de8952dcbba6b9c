import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { encodeAdvert, encodePacket, toHex } from '@mbcap/meshcore';
import { decodeLine, type LineOutcome } from '../src/import-line.ts';

const REAL = fileURLToPath(new URL('../../demo/data/real-packets.jsonl', import.meta.url));
const NOW = '2026-04-01T12:00:00.000Z';
const clock = () => NOW;
const KEY = 'ab'.repeat(32);

function packet(outcome: LineOutcome) {
  if (outcome.kind !== 'packet') throw new Error(`expected a packet, got ${JSON.stringify(outcome)}`);
  return outcome;
}

function reason(text: string): string {
  const outcome = decodeLine(text, clock);
  if (outcome.kind !== 'bad') throw new Error(`expected a bad line, got ${outcome.kind}`);
  return outcome.reason;
}

test('an advert: the CoreScope row, decoded_json in its order, and the node it implies', () => {
  const payload = encodeAdvert({ publicKey: KEY, timestamp: 1_774_000_000, type: 3, lat: 37.5, lon: -121.9, name: 'Niles BBS' });
  const raw = toHex(encodePacket({ routeType: 1, payloadType: 4, hashSize: 2, hops: ['a1b2', 'c3d4'], payload }));
  const { row, node } = packet(decodeLine(JSON.stringify({ raw_hex: raw.toUpperCase(), first_seen: '2026-03-30 08:00:00' }), clock));
  assert.equal(row, {
    raw_hex: raw,
    hash: row.hash,
    first_seen: '2026-03-30 08:00:00',
    route_type: 1,
    payload_type: 4,
    payload_version: 0,
    decoded_json: JSON.stringify({
      type: 'ADVERT',
      pubKey: KEY,
      name: 'Niles BBS',
      flags: 0x93,
      role: 'room',
      lat: 37.5,
      lon: -121.9,
      timestamp: 1_774_000_000,
    }),
    path_json: '["a1b2","c3d4"]',
  });
  assert.match(row.hash, /^[0-9a-f]{16}$/);
  assert.equal(node, {
    public_key: KEY,
    name: 'Niles BBS',
    role: 'room',
    lat: 37.5,
    lon: -121.9,
    seen: '2026-03-30 08:00:00',
    seenMs: Date.UTC(2026, 2, 30, 8),
  });
});

test('other payloads: a small honest decoded_json, no node; first_seen from the clock when absent', () => {
  const raw = toHex(encodePacket({ routeType: 0, transportCodes: [1, 2], payloadType: 5, hashSize: 1, hops: ['aa'], payload: '11223344' }));
  const { row, node } = packet(decodeLine(`{"raw_hex":"${raw}","hash":"given"}`, clock));
  assert.equal([row.decoded_json, row.path_json, row.first_seen, row.hash, node], ['{"type":"GRP_TXT"}', '["aa"]', NOW, 'given', null]);
  const trace = packet(
    decodeLine(`{"raw_hex":"${toHex(encodePacket({ routeType: 2, payloadType: 9, hashSize: 1, hops: ['f4', '10'], payload: '00' }))}"}`, clock),
  );
  assert.equal([trace.row.payload_type, trace.row.decoded_json, trace.row.path_json], [9, '{"type":"TRACE"}', '["f4","10"]']);
  // Named as firmware Packet.h numbers them
  const named = (payloadType: number) => {
    const raw = toHex(encodePacket({ routeType: 1, payloadType, hashSize: 2, hops: ['a1b2'], payload: '0102030405060708' }));
    return JSON.parse(packet(decodeLine(`{"raw_hex":"${raw}"}`, clock)).row.decoded_json).type;
  };
  assert.equal([0, 1, 2, 3, 5, 6, 7, 8, 9, 10, 11, 12, 15].map(named), [
    'REQ',
    'RESPONSE',
    'TXT_MSG',
    'ACK',
    'GRP_TXT',
    'GRP_DATA',
    'ANON_REQ',
    'PATH',
    'TRACE',
    'MULTIPART',
    'CONTROL',
    'TYPE_12',
    'RAW_CUSTOM',
  ]);
  assert.is(packet(decodeLine(`{"raw_hex":"2e00${'00'.repeat(4)}"}`, clock)).row.decoded_json, '{"type":"CONTROL"}');
});

test("the hash: the same packet on another path hashes the same; CoreScope's real hashes", () => {
  const payload = encodeAdvert({ publicKey: KEY, timestamp: 1, type: 2 });
  const near = toHex(encodePacket({ routeType: 1, payloadType: 4, hashSize: 1, hops: [], payload }));
  const far = toHex(encodePacket({ routeType: 1, payloadType: 4, hashSize: 1, hops: ['01', '02', '03'], payload }));
  assert.is(packet(decodeLine(`{"raw_hex":"${near}"}`, clock)).row.hash, packet(decodeLine(`{"raw_hex":"${far}"}`, clock)).row.hash);
  for (const line of readFileSync(REAL, 'utf8').trim().split('\n')) {
    const { raw_hex, hash } = JSON.parse(line) as { raw_hex: string; hash: string };
    assert.is(packet(decodeLine(JSON.stringify({ raw_hex }), clock)).row.hash, hash);
  }
});

test('an advert cut after the key still names its node; shorter ones are bad', () => {
  const raw = `1100${KEY}0102`;
  const { row, node } = packet(decodeLine(`{"raw_hex":"${raw}"}`, clock));
  assert.equal(JSON.parse(row.decoded_json), { type: 'ADVERT', pubKey: KEY, name: null, flags: null, role: null, lat: null, lon: null, timestamp: null });
  assert.equal([node!.public_key, node!.name, node!.role], [KEY, null, null]);
  assert.is(reason(`{"raw_hex":"1100${KEY.slice(0, 62)}"}`), 'ADVERT payload is 31 bytes, too short for a public key (32)');
});

test('bad lines say why', () => {
  assert.match(reason('{"raw_hex": '), /^not JSON \(/);
  assert.is(reason('"text"'), 'not a JSON object');
  assert.is(reason('null'), 'not a JSON object');
  assert.is(reason('{"raw_hex":null}'), 'no raw_hex');
  assert.is(reason('{"raw_hex":17}'), 'raw_hex is not a string (number)');
  assert.is(reason('{"raw_hex":""}'), 'raw_hex is not hex (empty)');
  assert.is(reason('{"raw_hex":"110"}'), 'raw_hex is not hex (odd length 3)');
  assert.is(reason('{"raw_hex":"11 00"}'), 'raw_hex is not hex (" " at character 3)');
  assert.is(reason('{"raw_hex":"10010203"}'), 'not a valid MeshCore packet: 4 bytes end before the path-length byte (offset 5, after the transport codes)');
  assert.is(reason('{"raw_hex":"1142aabbcc"}'), 'not a valid MeshCore packet: path claims 4 bytes, 3 present');
  assert.is(reason('{"raw_hex":"11c1aa"}'), 'not a valid MeshCore packet: path-length byte 0xc1 uses the reserved hash size 0b11');
  assert.is(reason('{"raw_hex":"1200","first_seen":"2026-02-30T00:00:00Z"}'), 'first_seen is not an ISO 8601 time ("2026-02-30T00:00:00Z")');
  assert.is(reason('{"raw_hex":"1200","first_seen":1774000000}'), 'first_seen is not an ISO 8601 time (1774000000)');
  assert.is(reason('{"raw_hex":"1200","hash":42}'), 'hash is not a string (number)');
  assert.equal(decodeLine('   ', clock), { kind: 'blank' });
});

test("first_seen in any year, as the server reads it: Go's zero time and years before 1000 are imported", () => {
  const raw_hex = toHex(encodePacket({ routeType: 1, payloadType: 2, hashSize: 1, hops: [], payload: Uint8Array.of(1, 2, 3, 4) }));
  for (const first_seen of ['0001-01-01T00:00:00Z', '0999-12-31 23:59:59', '2026-03-27T19:49:44+02:00']) {
    const { row } = packet(decodeLine(JSON.stringify({ raw_hex, first_seen }), clock));
    assert.is(row.first_seen, first_seen);
  }
});

test.run();
