import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { throwsWith } from './helpers.js';
import { advertRole, decodeAdvert, encodeAdvert, fromHex, toHex, type AdvertInput } from '../src/index.ts';

const KEY = 'a1'.repeat(16) + '0f'.repeat(16);
const SIG = 'c3'.repeat(64);

/** The fixed 100 bytes built by hand: key, timestamp 0x64000102 LE, signature. */
function fixedPart(): string {
  return `${KEY}02010064${SIG}`;
}

function le32(value: number): string {
  const bytes = new Uint8Array(4);
  new DataView(bytes.buffer).setInt32(0, value, true);
  return toHex(bytes);
}

test('hand-built advert with location, both features and a name', () => {
  const name = toHex(new TextEncoder().encode('Rpt Øst'));
  const appData = `f2${le32(-33_868_820)}${le32(151_209_296)}3412cdab${name}`;
  const advert = decodeAdvert(fromHex(fixedPart() + appData)!)!;
  assert.is(advert.publicKey, KEY);
  assert.is(advert.timestamp, 0x64000102);
  assert.is(advert.signature, SIG);
  assert.is(advert.flags, 0xf2);
  assert.is(advert.type, 2);
  assert.is(advert.role, 'repeater');
  assert.is(advert.lat, -33.86882);
  assert.is(advert.lon, 151.209296);
  assert.is(advert.feature1, 0x1234);
  assert.is(advert.feature2, 0xabcd);
  assert.is(advert.name, 'Rpt Øst');
  assert.is(advert.truncated, false);
});

test('hand-built advert with a name only; the name stops at the first NUL', () => {
  const appData = `81${toHex(new TextEncoder().encode('Alice'))}00ffee`;
  const advert = decodeAdvert(fromHex(fixedPart() + appData)!)!;
  assert.is(advert.role, 'companion');
  assert.equal([advert.lat, advert.lon, advert.feature1, advert.feature2], [null, null, null, null]);
  assert.is(advert.name, 'Alice');
});

test('no name flag: no name, even with bytes left over', () => {
  const advert = decodeAdvert(fromHex(`${fixedPart()}03414243`)!)!;
  assert.is(advert.role, 'room');
  assert.is(advert.name, null);
  assert.is(advert.truncated, false);
});

test('exactly the 100 fixed bytes: key, time and signature, no flags', () => {
  const advert = decodeAdvert(fromHex(fixedPart())!)!;
  assert.is(advert.publicKey, KEY);
  assert.is(advert.flags, null);
  assert.is(advert.type, 0);
  assert.is(advert.role, 'unknown');
  assert.is(advert.truncated, false);
});

test('fewer than 100 bytes gives null', () => {
  assert.is(decodeAdvert(fromHex(fixedPart())!.subarray(0, 99)), null);
  assert.is(decodeAdvert(new Uint8Array(0)), null);
  assert.is(decodeAdvert('00' as unknown as Uint8Array), null);
});

test('truncated app data yields what could be read', () => {
  const cutLocation = decodeAdvert(fromHex(`${fixedPart()}940102030405`)!)!;
  assert.is(cutLocation.role, 'sensor');
  assert.equal([cutLocation.lat, cutLocation.lon, cutLocation.name], [null, null, null]);
  assert.is(cutLocation.truncated, true);

  const cutFeature = decodeAdvert(fromHex(`${fixedPart()}b2${le32(1_000_000)}${le32(-2_000_000)}07`)!)!;
  assert.equal([cutFeature.lat, cutFeature.lon, cutFeature.feature1], [1, -2, null]);
  assert.is(cutFeature.truncated, true);

  const emptyName = decodeAdvert(fromHex(`${fixedPart()}82`)!)!;
  assert.is(emptyName.name, '');
  assert.is(emptyName.truncated, false);
});

test('roles by type', () => {
  const roles = [0, 1, 2, 3, 4, 5, 15].map(advertRole);
  assert.equal(roles, ['unknown', 'companion', 'repeater', 'room', 'sensor', 'unknown', 'unknown']);
});

test('encode then decode round-trips with and without location, features and name', () => {
  const cases: AdvertInput[] = [
    { publicKey: KEY, timestamp: 0, type: 1 },
    { publicKey: KEY.toUpperCase(), timestamp: 0xffffffff, signature: SIG, type: 2, name: 'Charles Evans Hughes' },
    { publicKey: KEY, timestamp: 1_774_590_566, type: 2, lat: 37.85787, lon: -121.567435, name: 'Kings Island' },
    { publicKey: KEY, timestamp: 5, type: 3, feature1: 7 },
    { publicKey: KEY, timestamp: 5, type: 4, feature2: 0xffff, name: 'ECOY🌳' },
    { publicKey: KEY, timestamp: 5, type: 4, lat: -90, lon: 180, feature1: 1, feature2: 2, name: '' },
  ];
  for (const input of cases) {
    const advert = decodeAdvert(encodeAdvert(input))!;
    assert.is(advert.publicKey, input.publicKey.toLowerCase());
    assert.is(advert.timestamp, input.timestamp);
    assert.is(advert.signature, input.signature ?? '00'.repeat(64));
    assert.is(advert.type, input.type);
    assert.is(advert.role, advertRole(input.type));
    assert.is(advert.lat, input.lat ?? null);
    assert.is(advert.lon, input.lon ?? null);
    assert.is(advert.feature1, input.feature1 ?? null);
    assert.is(advert.feature2, input.feature2 ?? null);
    assert.is(advert.name, input.name ?? null);
    assert.is(advert.truncated, false);
  }
});

test('encode lays out the bytes in flag order', () => {
  const bytes = encodeAdvert({ publicKey: KEY, timestamp: 0x64000102, signature: SIG, type: 2, lat: 1, lon: -1, name: 'A' });
  assert.is(toHex(bytes), `${fixedPart()}92${le32(1_000_000)}${le32(-1_000_000)}41`);
});

test('encode misuse throws naming the field', () => {
  throwsWith(() => encodeAdvert({ publicKey: 'abcd', timestamp: 0, type: 1 }), TypeError, 'publicKey');
  throwsWith(() => encodeAdvert({ publicKey: KEY, timestamp: -1, type: 1 }), RangeError, 'timestamp');
  throwsWith(() => encodeAdvert({ publicKey: KEY, timestamp: 0, signature: 'zz', type: 1 }), TypeError, 'signature');
  throwsWith(() => encodeAdvert({ publicKey: KEY, timestamp: 0, type: 16 }), RangeError, 'type');
  throwsWith(() => encodeAdvert({ publicKey: KEY, timestamp: 0, type: 1, lat: 1 }), TypeError, 'lat');
  throwsWith(() => encodeAdvert({ publicKey: KEY, timestamp: 0, type: 1, lat: 91, lon: 0 }), RangeError, 'lat');
  throwsWith(() => encodeAdvert({ publicKey: KEY, timestamp: 0, type: 1, lat: 0, lon: NaN }), TypeError, 'lon');
  throwsWith(() => encodeAdvert({ publicKey: KEY, timestamp: 0, type: 1, feature1: 0x10000 }), RangeError, 'feature1');
  throwsWith(() => encodeAdvert({ publicKey: KEY, timestamp: 0, type: 1, name: 'a\0b' }), TypeError, 'name');
});

test.run();
