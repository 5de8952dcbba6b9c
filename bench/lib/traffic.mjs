// Packets for `mbcap-ingestor import`, one JSON line each (raw_hex, first_seen; the
// importer computes the hash as CoreScope does):
//  - ordinary traffic of known nodes, every packet 1-byte (path hash size 1): adverts,
//    relayed messages, ACKs, TRACEs, in the mix of bench/lib/mesh-db.mjs. Such traffic
//    changes no node's capability: a 1-byte advert confirms nothing, a 1-byte hop makes
//    nobody suspected.
//  - the 2-byte ADVERT of a node the database does not know: a flood advert heard before
//    any relay (path byte 0x40), which confirms its sender.
import { encodeAdvert, encodePacket, PAYLOAD_TYPE, ROUTE_TYPE, toHex } from '@mbcap/meshcore';

const hexOf = (bytes) => toHex(bytes);
const roles = [1, 2, 3, 4];

/** Ordinary 1-byte traffic of `keys` (64-hex public keys), drawn from `rng` (@mbcap/meshgen's createRng). */
export function ordinaryTraffic(keys, rng) {
  if (keys.length === 0) throw new RangeError('Expected at least one known node key for the traffic');
  const prefixes = () => Array.from({ length: rng.int(5) }, () => rng.pick(keys).slice(0, 2));
  return function nextLine(now = new Date()) {
    const r = rng.next();
    let routeType = ROUTE_TYPE.FLOOD;
    let payloadType;
    let payload;
    let hops = prefixes();
    if (r < 0.1) {
      const origin = rng.int(keys.length);
      payloadType = PAYLOAD_TYPE.ADVERT;
      payload = advertPayload(keys[origin], now, rng, { type: roles[origin % 4], name: `node ${origin}` });
    } else if (r < 0.2) {
      // Sent direct; its path holds one SNR byte a hop
      routeType = ROUTE_TYPE.DIRECT;
      payloadType = PAYLOAD_TYPE.TRACE;
      payload = rng.bytes(9);
      hops = hops.map(() => hexOf(rng.bytes(1)));
    } else if (r < 0.4) {
      payloadType = PAYLOAD_TYPE.ACK;
      payload = rng.bytes(4);
      hops = [];
    } else {
      payloadType = r < 0.8 ? PAYLOAD_TYPE.TXT_MSG : PAYLOAD_TYPE.GRP_TXT;
      payload = rng.bytes(20 + rng.int(60));
    }
    const raw = toHex(encodePacket({ routeType, payloadType, hashSize: 1, hops, payload }));
    return JSON.stringify({ raw_hex: raw, first_seen: now.toISOString() });
  };
}

/** A node no database holds (a random key) and its 2-byte flood ADVERT, as one import line. */
export function newNodeAdvert(rng, name, now = new Date()) {
  const key = hexOf(rng.bytes(32));
  const payload = advertPayload(key, now, rng, { type: 2, name, lat: rng.between(-60_000, 60_000) / 1000, lon: rng.between(-170_000, 170_000) / 1000 });
  const raw = toHex(encodePacket({ routeType: ROUTE_TYPE.FLOOD, payloadType: PAYLOAD_TYPE.ADVERT, hashSize: 2, hops: [], payload }));
  return { key, line: JSON.stringify({ raw_hex: raw, first_seen: now.toISOString() }) };
}

// A signature of random bytes (not verified by anyone here) keeps every advert's content hash unique
function advertPayload(publicKey, now, rng, fields) {
  return encodeAdvert({ publicKey, timestamp: Math.floor(now.getTime() / 1000), signature: hexOf(rng.bytes(64)), ...fields });
}
