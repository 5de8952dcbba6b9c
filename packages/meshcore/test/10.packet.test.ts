import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { throwsWith } from './helpers.js';
import {
  decodeHeader,
  decodePacket,
  encodeHeader,
  encodePacket,
  fromHex,
  isDirectRoute,
  payloadTypeName,
  PAYLOAD_TYPE,
  PAYLOAD_TYPE_NAME,
  ROUTE_TYPE,
  toHex,
  type PacketInput,
} from '../src/index.ts';

const PAYLOAD = 'deadbeef';

test('hex helpers: lowercase out, either case in, null on bad hex', () => {
  assert.is(toHex(new Uint8Array([0, 0x0f, 0xab, 0xff])), '000fabff');
  assert.equal(Array.from(fromHex('00Ff1a')!), [0, 255, 26]);
  assert.equal(fromHex('')?.length, 0);
  assert.is(fromHex('abc'), null);
  assert.is(fromHex('zz'), null);
  assert.is(fromHex('0x12'), null);
  assert.is(fromHex('1 2 '), null);
  assert.is(fromHex('\u0161\u0161'), null, 'wide characters whose low byte is a hex digit');
  assert.is(fromHex('\u3061\u3062ab'), null);
  for (let code = 0; code < 0x3000; code++) {
    const ch = String.fromCharCode(code);
    const digit = /^[0-9a-fA-F]$/.test(ch);
    assert.is(fromHex(`${ch}0`) !== null, digit, `U+${code.toString(16)} first`);
    assert.is(fromHex(`0${ch}`) !== null, digit, `U+${code.toString(16)} second`);
  }
});

test('header byte: route bits 0-1, payload type bits 2-5, version bits 6-7', () => {
  assert.equal(decodeHeader(0x11), { routeType: 1, payloadType: 4, payloadVersion: 0 });
  assert.equal(decodeHeader(0b10_1000_11), { routeType: 3, payloadType: 8, payloadVersion: 2 });
  for (let byte = 0; byte < 256; byte++) assert.is(encodeHeader(decodeHeader(byte)), byte);
  throwsWith(() => encodeHeader({ routeType: 4, payloadType: 0 }), RangeError, 'routeType');
  throwsWith(() => encodeHeader({ routeType: 1, payloadType: 16 }), RangeError, 'payloadType');
  throwsWith(() => encodeHeader({ routeType: 1, payloadType: 1, payloadVersion: 4 }), RangeError, 'payloadVersion');
  throwsWith(() => encodeHeader({ routeType: 1.5, payloadType: 1 }), TypeError, 'routeType');
});

test('payload types numbered as firmware Packet.h numbers them, with their names', () => {
  assert.equal(PAYLOAD_TYPE, {
    REQ: 0,
    RESPONSE: 1,
    TXT_MSG: 2,
    ACK: 3,
    ADVERT: 4,
    GRP_TXT: 5,
    GRP_DATA: 6,
    ANON_REQ: 7,
    PATH: 8,
    TRACE: 9,
    MULTIPART: 10,
    CONTROL: 11,
    RAW_CUSTOM: 15,
  });
  for (const [name, code] of Object.entries(PAYLOAD_TYPE)) {
    assert.is(PAYLOAD_TYPE_NAME[code], name);
    assert.is(payloadTypeName(code), name);
  }
  assert.equal([8, 9, 1, 2, 3].map(payloadTypeName), ['PATH', 'TRACE', 'RESPONSE', 'TXT_MSG', 'ACK']);
  assert.equal([12, 13, 14].map(payloadTypeName), ['TYPE_12', 'TYPE_13', 'TYPE_14']);
  assert.is(PAYLOAD_TYPE_NAME[12], undefined);
  assert.equal([0, 1, 2, 3].map(isDirectRoute), [false, false, true, true]);
});

test('flood and direct: path-length byte at offset 1, no transport codes', () => {
  const flood = decodePacket(`1102a1b2${PAYLOAD}`)!;
  assert.is(flood.routeType, ROUTE_TYPE.FLOOD);
  assert.is(flood.payloadType, PAYLOAD_TYPE.ADVERT);
  assert.is(flood.transportCodes, null);
  assert.is(flood.pathLenByte, 0x02);
  assert.equal(flood.hops, ['a1', 'b2']);
  assert.is(toHex(flood.payload), PAYLOAD);

  const direct = decodePacket(`0641C0FE${PAYLOAD}`)!;
  assert.is(direct.routeType, ROUTE_TYPE.DIRECT);
  assert.is(direct.payloadType, 1);
  assert.is(direct.hashSize, 2);
  assert.equal(direct.hops, ['c0fe']);
  assert.is(toHex(direct.payload), PAYLOAD);
});

test('transport-flood and transport-direct: two uint16 LE codes, path-length byte at offset 5', () => {
  const tf = decodePacket(`143412785681aabbcc${PAYLOAD}`)!;
  assert.is(tf.routeType, ROUTE_TYPE.TRANSPORT_FLOOD);
  assert.is(tf.payloadType, PAYLOAD_TYPE.GRP_TXT);
  assert.equal(tf.transportCodes, [0x1234, 0x5678]);
  assert.is(tf.pathLenByte, 0x81);
  assert.is(tf.hashSize, 3);
  assert.equal(tf.hops, ['aabbcc']);
  assert.is(toHex(tf.payload), PAYLOAD);

  const td = decodePacket(`07ffff000000${PAYLOAD}`)!;
  assert.is(td.routeType, ROUTE_TYPE.TRANSPORT_DIRECT);
  assert.equal(td.transportCodes, [0xffff, 0]);
  assert.is(td.hopCount, 0);
  assert.is(toHex(td.payload), PAYLOAD);
});

test('1-, 2- and 3-byte hashes: hop count from the low 6 bits, size from the top 2', () => {
  const one = decodePacket(`0503010203${PAYLOAD}`)!;
  assert.equal([one.hashSize, one.hopCount, one.hops], [1, 3, ['01', '02', '03']]);
  const two = decodePacket(`0543010203040506${PAYLOAD}`)!;
  assert.equal([two.hashSize, two.hopCount, two.hops], [2, 3, ['0102', '0304', '0506']]);
  const three = decodePacket(`0582010203040506${PAYLOAD}`)!;
  assert.equal([three.hashSize, three.hopCount, three.hops], [3, 2, ['010203', '040506']]);
  assert.is(toHex(three.payload), PAYLOAD);
});

test('zero hops: the hash-size bits still count', () => {
  assert.is(decodePacket(`1140${PAYLOAD}`)!.hashSize, 2);
  assert.is(decodePacket(`1180${PAYLOAD}`)!.hashSize, 3);
  const plain = decodePacket(`1200${PAYLOAD}`)!;
  assert.equal([plain.hashSize, plain.hopCount, plain.hops], [1, 0, []]);
  assert.is(decodePacket(`100102030440${PAYLOAD}`)!.hashSize, 2);
});

test('reserved hash-size bits 0b11 give null, with or without hops', () => {
  assert.is(decodePacket(`11c0${PAYLOAD}`), null);
  assert.is(decodePacket(`11c1aaaaaaaa${PAYLOAD}`), null);
  assert.is(decodePacket(`1001020304ff${PAYLOAD}`), null);
});

test('truncated or invalid input gives null, never a throw', () => {
  assert.is(decodePacket(''), null);
  assert.is(decodePacket(new Uint8Array(0)), null);
  assert.is(decodePacket('1'), null);
  assert.is(decodePacket('11g0'), null);
  assert.is(decodePacket('11'), null, 'header without a path-length byte');
  assert.is(decodePacket('10' + '0102'), null, 'transport codes cut short');
  assert.is(decodePacket('10' + '01020304'), null, 'transport codes without a path-length byte');
  assert.is(decodePacket('11' + '03' + 'aabb'), null, 'path claims 3 bytes, 2 present');
  assert.is(decodePacket('11' + '42' + 'aabbcc'), null, 'path claims 2×2 bytes, 3 present');
  assert.is(decodePacket('11' + '3f'), null, '63 hops, none present');
  for (const bad of [null, undefined, 42, {}, ['11', '00']]) {
    assert.is(decodePacket(bad as unknown as string), null);
  }
});

test('a path that ends exactly at the end of the bytes leaves an empty payload', () => {
  const packet = decodePacket('11' + '42' + 'aabbccdd')!;
  assert.equal(packet.hops, ['aabb', 'ccdd']);
  assert.is(packet.payload.length, 0);
});

test('uppercase hex in, lowercase hops out; the payload is a view on the input bytes', () => {
  const bytes = fromHex('1141ABCD0102')!;
  const packet = decodePacket(bytes)!;
  assert.equal(packet.hops, ['abcd']);
  assert.is(packet.payload.buffer, bytes.buffer);
  assert.is(packet.payload.byteOffset, bytes.byteOffset + 4);
});

test('encode then decode round-trips every route type, hash size and hop count', () => {
  for (const routeType of [0, 1, 2, 3]) {
    for (const hashSize of [1, 2, 3]) {
      for (const hopCount of [0, 1, 5, 63]) {
        const hops = Array.from({ length: hopCount }, (_, i) => toHex(new Uint8Array(hashSize).fill(i + 1)));
        const input: PacketInput = {
          routeType,
          payloadType: (routeType * 5 + hopCount) % 16,
          payloadVersion: hashSize - 1,
          transportCodes: routeType === 0 || routeType === 3 ? [routeType * 1000 + hashSize, 0xfedc] : null,
          hashSize,
          hops,
          payload: fromHex(`00ff${PAYLOAD}`)!,
        };
        const bytes = encodePacket(input);
        const decoded = decodePacket(bytes)!;
        assert.ok(decoded, `route ${routeType}, size ${hashSize}, ${hopCount} hops`);
        assert.is(decoded.routeType, input.routeType);
        assert.is(decoded.payloadType, input.payloadType);
        assert.is(decoded.payloadVersion, input.payloadVersion);
        assert.equal(decoded.transportCodes, input.transportCodes);
        assert.is(decoded.hashSize, hashSize);
        assert.is(decoded.hopCount, hopCount);
        assert.is(decoded.pathLenByte, ((hashSize - 1) << 6) | hopCount);
        assert.equal(decoded.hops, hops);
        assert.is(toHex(decoded.payload), `00ff${PAYLOAD}`);
        assert.is(bytes[routeType === 0 || routeType === 3 ? 5 : 1], decoded.pathLenByte);
      }
    }
  }
});

test('encode accepts a hex payload and uppercase hops', () => {
  const bytes = encodePacket({ routeType: 1, payloadType: 4, hashSize: 2, hops: ['ABCD'], payload: 'C0DE' });
  assert.is(toHex(bytes), '1141abcdc0de');
});

test('encode misuse throws naming the field', () => {
  const base: PacketInput = { routeType: 1, payloadType: 4, hashSize: 2, hops: ['aabb'], payload: new Uint8Array(1) };
  const hops64 = Array.from({ length: 64 }, () => 'aabb');
  throwsWith(() => encodePacket({ ...base, hops: hops64 }), RangeError, 'hops');
  throwsWith(() => encodePacket({ ...base, hops: ['aabb', 'cc'] }), RangeError, 'hops[1]');
  throwsWith(() => encodePacket({ ...base, hops: ['xyzw'] }), TypeError, 'hops[0]');
  throwsWith(() => encodePacket({ ...base, hops: 'aabb' as unknown as string[] }), TypeError, 'hops');
  throwsWith(() => encodePacket({ ...base, hashSize: 4 }), RangeError, 'hashSize');
  throwsWith(() => encodePacket({ ...base, hashSize: 0 }), RangeError, 'hashSize');
  throwsWith(() => encodePacket({ ...base, routeType: 7 }), RangeError, 'routeType');
  throwsWith(() => encodePacket({ ...base, routeType: 0 }), TypeError, 'transportCodes');
  throwsWith(() => encodePacket({ ...base, transportCodes: [1, 2] }), TypeError, 'transportCodes');
  throwsWith(() => encodePacket({ ...base, routeType: 3, transportCodes: [1, 0x10000] }), RangeError, 'transportCodes[1]');
  throwsWith(() => encodePacket({ ...base, payload: 'xyz' }), TypeError, 'payload');
});

test.run();
