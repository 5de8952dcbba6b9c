import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { decodePacket, encodePacket, peekHops, peekPacket, peekPayload, PAYLOAD_TYPE, ROUTE_TYPE, toHex } from '../src/index.js';

const realPackets = readFileSync(new URL('../../../apps/demo/data/real-packets.jsonl', import.meta.url), 'utf8')
  .trim()
  .split('\n')
  .map((line) => JSON.parse(line).raw_hex as string);

test('peek agrees with a full decode on every real packet', () => {
  for (const hex of realPackets) {
    const full = decodePacket(hex)!;
    const peek = peekPacket(hex)!;
    assert.ok(peek, hex);
    assert.equal([peek.routeType, peek.payloadType, peek.hashSize, peek.hopCount], [full.routeType, full.payloadType, full.hashSize, full.hopCount]);
    assert.equal(peekHops(hex, peek), full.hops);
    assert.is(peekPayload(hex, peek, Math.min(32, full.payload.length)), toHex(full.payload.subarray(0, 32)));
  }
});

test('peek finds the path after transport codes, in either case of hex', () => {
  for (const routeType of [ROUTE_TYPE.TRANSPORT_FLOOD, ROUTE_TYPE.FLOOD, ROUTE_TYPE.DIRECT, ROUTE_TYPE.TRANSPORT_DIRECT]) {
    const transportCodes = routeType === 0 || routeType === 3 ? ([0x1234, 0xabcd] as [number, number]) : null;
    const hex = toHex(
      encodePacket({ routeType, payloadType: PAYLOAD_TYPE.TXT_MSG, transportCodes, hashSize: 3, hops: ['a1b2c3', 'D4E5F6'], payload: new Uint8Array([9, 9]) }),
    ).toUpperCase();
    const peek = peekPacket(hex)!;
    assert.is(peek.hashSize, 3);
    assert.equal(peekHops(hex, peek), ['a1b2c3', 'd4e5f6']);
    assert.is(peekPayload(hex, peek, 2), '0909');
    assert.is(peekPayload(hex, peek, 3), null, 'past the end');
  }
});

test('peek refuses what has no intact header and path, and ignores the payload', () => {
  for (const bad of ['', '1', '1x04', '11', '11c0', '1182aa', '11 4aa', null as unknown as string]) assert.is(peekPacket(bad), null, String(bad));
  // A broken payload does not hide an intact path (only the path matters for capability)
  const peek = peekPacket('1141aabbZZ?')!;
  assert.equal([peek.hashSize, peek.hopCount], [2, 1]);
  assert.equal(peekHops('1141aabbZZ?', peek), ['aabb']);
  assert.is(decodePacket('1141aabbZZ?'), null, 'the full decode refuses it');
  assert.is(peekPayload('1141aabbZZ?', peek, 1), null);
});

test.run();
