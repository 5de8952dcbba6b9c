import { decodePacket, encodeAdvert, encodePacket, PAYLOAD_TYPE, toHex } from '@mbcap/meshcore';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createCapabilityAccumulator, type CapabilityEntry, type CapabilityOptions, type NodeRow, type PacketRow } from '../src/capability.js';

const AT = '2026-03-27T12:00:00.000Z';

/** A 64-hex-character key starting with `prefix`. */
function key(prefix: string): string {
  return (prefix + '5eed'.repeat(16)).slice(0, 64);
}

function node(publicKey: string, extra: Partial<NodeRow> = {}): NodeRow {
  return { public_key: publicKey, name: `node ${publicKey.slice(0, 4)}`, role: 'repeater', last_seen: AT, ...extra };
}

type RowOptions = {
  routeType?: number;
  hops?: string[];
  /** Column value; defaults to the header's type. */
  payloadType?: number | null;
  decodedJson?: string | null;
  pathJson?: string | null;
  firstSeen?: string;
};

function row(headerType: number, hashSize: number, payload: Uint8Array, o: RowOptions = {}): PacketRow {
  const routeType = o.routeType ?? 1;
  const raw = encodePacket({
    routeType,
    payloadType: headerType,
    transportCodes: routeType === 0 || routeType === 3 ? [0x1234, 0xabcd] : null,
    hashSize,
    hops: o.hops ?? [],
    payload,
  });
  return {
    raw_hex: toHex(raw),
    payload_type: o.payloadType === undefined ? headerType : o.payloadType,
    decoded_json: o.decodedJson ?? null,
    ...(o.pathJson === undefined ? {} : { path_json: o.pathJson }),
    first_seen: o.firstSeen ?? AT,
  };
}

/** A flood ADVERT from `publicKey` whose path-length byte says `hashSize`; decoded_json carries pubKey. */
function advert(publicKey: string, hashSize: number, o: RowOptions = {}): PacketRow {
  const payload = encodeAdvert({ publicKey, timestamp: 1_774_600_000, type: 2, name: 'x' });
  const decodedJson = o.decodedJson === undefined ? JSON.stringify({ pubKey: publicKey, name: 'x' }) : o.decodedJson;
  return row(PAYLOAD_TYPE.ADVERT, hashSize, payload, { ...o, decodedJson });
}

/** Any non-advert packet (GRP_TXT unless told) carrying `hops`. */
function traffic(hashSize: number, hops: string[], o: RowOptions & { type?: number } = {}): PacketRow {
  return row(o.type ?? PAYLOAD_TYPE.GRP_TXT, hashSize, new Uint8Array([0xc0, 0xde]), { ...o, hops });
}

function run(nodes: NodeRow[], rows: PacketRow[], options?: CapabilityOptions) {
  const acc = createCapabilityAccumulator(nodes, options);
  for (const r of rows) acc.add(r);
  const entries = acc.finish();
  const byKey = new Map(entries.map((e) => [e.public_key, e]));
  const get = (k: string): CapabilityEntry => {
    const entry = byKey.get(k);
    if (entry === undefined) throw new Error(`no entry for ${k}`);
    return entry;
  };
  const status = (k: string): [string, string | undefined, number] => [get(k).status, get(k).evidence, get(k).maxHashSize];
  return { entries, get, status, stats: acc.stats() };
}

const A = key('aa11');
const B = key('bb22');
const C = key('cc33');

test('confirmed by a 2-byte and by a 3-byte advert', () => {
  const r = run([node(A), node(B), node(C)], [advert(A, 2, { hops: ['0101'] }), advert(B, 3, { hops: ['020202'] })]);
  assert.equal(r.status(A), ['confirmed', 'advert', 2]);
  assert.equal(r.status(B), ['confirmed', 'advert', 3]);
  assert.equal(r.status(C), ['unknown', undefined, 1]);
  assert.not.ok('evidence' in r.get(C), 'unknown carries no evidence key');
});

test('a zero-hop flood advert with pl=0x40 confirms; pl=0x00 confirms nothing', () => {
  const twoByte = advert(A, 2);
  const oneByte = advert(B, 1);
  assert.is(twoByte.raw_hex.slice(0, 4), '1140');
  assert.is(oneByte.raw_hex.slice(0, 4), '1100');
  const r = run([node(A), node(B)], [twoByte, oneByte]);
  assert.equal(r.status(A), ['confirmed', 'advert', 2]);
  assert.equal(r.status(B), ['unknown', undefined, 1]);
});

test('suspected by a multi-byte hop; unknown with only 1-byte traffic', () => {
  const r = run(
    [node(A), node(B), node(C)],
    [traffic(2, ['0000', B.slice(0, 4)]), traffic(3, [C.slice(0, 6)]), advert(A, 1, { hops: [A.slice(0, 2)] }), traffic(1, [A.slice(0, 2)])],
  );
  assert.equal(r.status(B), ['suspected', 'path', 2]);
  assert.equal(r.status(C), ['suspected', 'path', 3]);
  assert.equal(r.status(A), ['unknown', undefined, 1]);
});

test('TRACE hops never count, by column or by header; a TRACE does not downgrade a confirmed node', () => {
  const trace = traffic(2, [B.slice(0, 4), A.slice(0, 4)], { type: PAYLOAD_TYPE.TRACE });
  const traceByHeader = traffic(3, [B.slice(0, 6)], { type: PAYLOAD_TYPE.TRACE, payloadType: null });
  const r = run([node(A), node(B)], [trace, advert(A, 2), traceByHeader, trace]);
  assert.equal(r.status(B), ['unknown', undefined, 1]);
  assert.equal(r.status(A), ['confirmed', 'advert', 2]);
});

test("TRACE is type 9, direct or flood; PATH (8) hops are relays' own hashes and count", () => {
  assert.equal([PAYLOAD_TYPE.PATH, PAYLOAD_TYPE.TRACE], [8, 9]);
  const traceDirect = traffic(2, [A.slice(0, 4)], { type: 9, routeType: 2 });
  const traceFlood = traffic(3, [A.slice(0, 6)], { type: 9, routeType: 1 });
  const path = traffic(2, ['0000', B.slice(0, 4)], { type: 8 });
  const pathByHeader = traffic(3, [C.slice(0, 6)], { type: 8, payloadType: null });
  const r = run([node(A), node(B), node(C)], [traceDirect, traceFlood, path, pathByHeader]);
  assert.equal(r.status(A), ['unknown', undefined, 1]);
  assert.equal(r.status(B), ['suspected', 'path', 2]);
  assert.equal(r.status(C), ['suspected', 'path', 3]);
});

test('a zero-hop direct advert neither confirms nor raises maxHashSize; relayed or flooded it does', () => {
  const D = key('dd44');
  const direct = advert(A, 2, { routeType: 2 });
  const transportDirect = advert(B, 3, { routeType: 3 });
  assert.equal([direct.raw_hex.slice(0, 4), transportDirect.raw_hex.slice(10, 12)], ['1240', '80']);
  const r = run(
    [node(A), node(B), node(C), node(D)],
    [direct, transportDirect, advert(C, 2, { routeType: 0 }), advert(C, 3, { routeType: 2 }), advert(D, 2, { routeType: 2, hops: ['0101'] })],
  );
  assert.equal(r.status(A), ['unknown', undefined, 1]);
  assert.equal(r.status(B), ['unknown', undefined, 1]);
  assert.equal(r.status(C), ['confirmed', 'advert', 2]);
  assert.equal(r.status(D), ['confirmed', 'advert', 2]);
});

test('prefix collisions make every node sharing the prefix suspected', () => {
  const twins = [key('beef01'), key('beef02'), key('beee03')];
  const r = run(
    [...twins, A].map((k) => node(k)),
    [traffic(2, ['BEEF']), advert(A, 2)],
  );
  assert.equal(r.status(twins[0]!), ['suspected', 'path', 2]);
  assert.equal(r.status(twins[1]!), ['suspected', 'path', 2]);
  assert.equal(r.status(twins[2]!), ['unknown', undefined, 1]);
  const shared = run([node(key('abcd01')), node(key('abcd02'))], [advert(key('abcd01'), 2), traffic(2, ['abcd'])]);
  assert.equal(shared.status(key('abcd01')), ['confirmed', 'advert', 2]);
  assert.equal(shared.status(key('abcd02')), ['suspected', 'path', 2]);
});

test('nodes of every role and inactive nodes are rated; name, role and lastSeen pass through', () => {
  const roles = ['companion', 'repeater', 'room', 'sensor', null];
  const keys = roles.map((_, i) => key(`d${i}d${i}`));
  const named = (i: number) => (i === 4 ? null : `n${i}`);
  const seen = (i: number) => (i === 4 ? null : AT);
  const nodes = roles.map((role, i) => node(keys[i]!, { role, name: named(i), last_seen: seen(i) }));
  const inactive = node(key('eeee'), { inactive: true });
  const r = run([...nodes, inactive], [...keys.map((k) => advert(k, 2)), advert(inactive.public_key, 3)]);
  roles.forEach((role, i) => {
    const entry = r.get(keys[i]!);
    assert.equal([entry.status, entry.role, entry.name, entry.lastSeen], ['confirmed', role, named(i), seen(i)]);
  });
  assert.equal(r.status(inactive.public_key), ['confirmed', 'advert', 3]);
});

test('transport route types: path-length byte at offset 5', () => {
  const advertTf = advert(A, 2, { routeType: 0 });
  const hopTd = traffic(3, [B.slice(0, 6)], { routeType: 3, type: PAYLOAD_TYPE.TXT_MSG });
  assert.is(advertTf.raw_hex.slice(10, 12), '40');
  assert.is(hopTd.raw_hex.slice(10, 12), '81');
  const r = run([node(A), node(B)], [advertTf, hopTd]);
  assert.equal(r.status(A), ['confirmed', 'advert', 2]);
  assert.equal(r.status(B), ['suspected', 'path', 3]);
});

test('window: first_seen compared as a time in every shape, never as a string', () => {
  const since = new Date('2026-03-27T05:49:44.500Z');
  const k = (p: string) => key(p);
  const rows = [
    advert(k('0001'), 2, { firstSeen: '2026-03-27T05:49:44.499Z' }), // 1 ms early
    advert(k('0002'), 2, { firstSeen: '2026-03-27T05:49:44.500Z' }), // exactly at the bound
    advert(k('0003'), 2, { firstSeen: '2026-03-27 05:49:45' }), // after; sorts before 'T' as a string
    advert(k('0004'), 2, { firstSeen: '2026-03-27T07:49:44+02:00' }), // 05:49:44Z, early; sorts after as a string
    advert(k('0005'), 2, { firstSeen: '2026-03-27T05:49:45Z' }),
    advert(k('0006'), 2, { firstSeen: '2026-03-27 05:49:44' }), // no zone = UTC, early
    advert(k('0007'), 2, { firstSeen: '2026-03-27T03:50:00.123456789-02:00' }), // 05:50:00Z
    advert(k('0008'), 2, { firstSeen: 'yesterday' }),
    advert(k('0009'), 2, { firstSeen: '2026-02-30 10:00:00' }),
  ];
  const keys = ['0001', '0002', '0003', '0004', '0005', '0006', '0007', '0008', '0009'].map(k);
  const r = run(
    keys.map((x) => node(x)),
    rows,
    { since },
  );
  const confirmed = keys.map((x) => r.get(x).status === 'confirmed');
  assert.equal(confirmed, [false, true, true, false, true, false, true, false, false]);
  assert.equal(r.stats, { packets: 9, inWindow: 4, skipped: 2 });
  const all = run(
    keys.map((x) => node(x)),
    rows,
    { since: null },
  );
  assert.is(all.entries.filter((e) => e.status === 'confirmed').length, 7);
});

test('decoded_json without pubKey, or unreadable, falls back to the payload key', () => {
  const r = run(
    [node(A), node(B), node(C)],
    [advert(A, 2, { decodedJson: '{"name":"x"}' }), advert(B, 2, { decodedJson: 'not json' }), advert(C, 2, { decodedJson: null })],
  );
  assert.equal([r.get(A).status, r.get(B).status, r.get(C).status], ['confirmed', 'confirmed', 'confirmed']);
  const viaJson = run([node(A), node(B)], [advert(A, 2, { decodedJson: JSON.stringify({ pubKey: B.toUpperCase() }) })]);
  assert.equal([viaJson.get(A).status, viaJson.get(B).status], ['unknown', 'confirmed']);
});

test('path_json is preferred when non-empty; raw_hex hops otherwise; hash size always from raw_hex', () => {
  const nodes = [node(A), node(B), node(C)];
  const preferred = run(nodes, [traffic(2, [A.slice(0, 4)], { pathJson: JSON.stringify([B.slice(0, 4).toUpperCase()]) })]);
  assert.equal([preferred.get(A).status, preferred.get(B).status], ['unknown', 'suspected']);
  for (const pathJson of ['[]', null, '', 'garbage', '[1,2]']) {
    const r = run(nodes, [traffic(2, [A.slice(0, 4)], { pathJson })]);
    assert.is(r.get(A).status, 'suspected', `path_json ${pathJson}`);
  }
  const oneByteRaw = run(nodes, [traffic(1, ['00'], { pathJson: JSON.stringify([C.slice(0, 4)]) })]);
  assert.is(oneByteRaw.get(C).status, 'unknown');
  const sizeFromRaw = run(nodes, [traffic(3, ['000000'], { pathJson: JSON.stringify(['', C.slice(0, 4)]) })]);
  assert.equal(sizeFromRaw.status(C), ['suspected', 'path', 3]);
});

test('mixed-case keys and hops match; entries keep the key exactly as stored', () => {
  const stored = `AbCdEf${'A'.repeat(58)}`;
  const other = `fEdCbA${'0'.repeat(58)}`;
  const r = run([node(stored), node(other)], [advert(stored.toLowerCase(), 2), traffic(2, ['FeDc'])]);
  assert.equal(
    r.entries.map((e) => [e.public_key, e.status]),
    [
      [stored, 'confirmed'],
      [other, 'suspected'],
    ],
  );
  const shortKeys = run([node('AB12'), node('ab')], [traffic(2, ['aB12']), traffic(3, ['ab1234'])]);
  assert.equal(shortKeys.status('AB12'), ['suspected', 'path', 2]);
  assert.equal(shortKeys.status('ab'), ['unknown', undefined, 1]);
});

test('maxHashSize: adverts first, else path evidence, else 1', () => {
  const D = key('dd44');
  const r = run(
    [node(A), node(B), node(C), node(D)],
    [
      advert(A, 2),
      traffic(3, [A.slice(0, 6)]),
      advert(B, 2),
      advert(B, 3),
      advert(B, 2),
      traffic(3, [C.slice(0, 6)]),
      traffic(2, [C.slice(0, 4)]),
      advert(C, 1),
      traffic(1, [D.slice(0, 2)]),
    ],
  );
  assert.equal(r.status(A), ['confirmed', 'advert', 2]);
  assert.equal(r.status(B), ['confirmed', 'advert', 3]);
  assert.equal(r.status(C), ['suspected', 'path', 3]);
  assert.equal(r.status(D), ['unknown', undefined, 1]);
});

test('payload_type column is authoritative; NULL takes the header type', () => {
  const byHeader = advert(A, 2, { payloadType: null });
  const notAdvertByColumn = advert(B, 2, { payloadType: PAYLOAD_TYPE.GRP_TXT });
  const advertByColumn = traffic(2, [], { payloadType: PAYLOAD_TYPE.ADVERT, decodedJson: JSON.stringify({ pubKey: C }) });
  assert.is(decodePacket(advertByColumn.raw_hex)!.payloadType, PAYLOAD_TYPE.GRP_TXT);
  const r = run([node(A), node(B), node(C)], [byHeader, notAdvertByColumn, advertByColumn]);
  assert.equal([r.get(A).status, r.get(B).status, r.get(C).status], ['confirmed', 'unknown', 'confirmed']);
});

test('broken raw_hex is skipped and counted; an advert too short for a key confirms nothing', () => {
  const rows: PacketRow[] = [
    { raw_hex: `11c0${'00'.repeat(40)}`, payload_type: 4, decoded_json: null, first_seen: AT },
    { raw_hex: '1143aabb', payload_type: 5, decoded_json: null, first_seen: AT },
    { raw_hex: 'zz', payload_type: null, decoded_json: null, first_seen: AT },
    row(PAYLOAD_TYPE.ADVERT, 2, new Uint8Array(20)),
  ];
  const r = run([node(A)], rows);
  assert.equal(r.stats, { packets: 4, inWindow: 4, skipped: 3 });
  assert.is(r.get(A).status, 'unknown');
});

test('entries sorted confirmed, suspected, unknown, then by public_key', () => {
  const keys = ['ff01', 'ee02', 'dd03', 'cc04', 'bb05', 'aa06'].map(key);
  const rows = [advert(keys[0]!, 2), advert(keys[3]!, 2), traffic(2, [keys[1]!.slice(0, 4), keys[4]!.slice(0, 4)])];
  const r = run(
    keys.map((k) => node(k)),
    rows,
  );
  assert.equal(
    r.entries.map((e) => e.public_key.slice(0, 4)),
    ['cc04', 'ff01', 'bb05', 'ee02', 'aa06', 'dd03'],
  );
});

test('misuse of the options throws naming them', () => {
  assert.throws(() => createCapabilityAccumulator([], { since: new Date('nope') }), /"since"/);
  assert.throws(() => createCapabilityAccumulator({} as unknown as NodeRow[]), /"nodes"/);
});

test.run();
