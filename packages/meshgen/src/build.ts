// Packets as bytes: each builder returns the encoded fields, the raw hex and the hash, and
// nothing else, so a test can decode raw_hex and compare it with what was encoded.

import { encodeAdvert, encodePacket, fromHex, packetHash, PAYLOAD_TYPE, ROUTE_TYPE, toHex, type AdvertInput } from '@mbcap/meshcore';
import type { Rng } from './random.js';
import type { EncodedPacket, GeneratedNode, GeneratedPacket } from './types.js';

const ADVERT_TYPE_OF_ROLE = { companion: 1, repeater: 2, room: 3, sensor: 4 } as const;

export type Envelope = {
  time: number;
  routeType: number;
  hashSize: 1 | 2 | 3;
  hops: string[];
  origin: GeneratedNode;
  transportCodes?: [number, number] | null;
};

/** Encodes one packet; `payload` is the payload bytes. */
export function buildPacket(envelope: Envelope, payloadType: number, payload: Uint8Array, advert: GeneratedPacket['advert'] = null): GeneratedPacket {
  const encoded: EncodedPacket = {
    routeType: envelope.routeType,
    payloadType,
    payloadVersion: 0,
    transportCodes: envelope.transportCodes ?? null,
    hashSize: envelope.hashSize,
    hops: envelope.hops,
    payload: toHex(payload),
  };
  const bytes = encodePacket({ ...encoded, payload });
  return {
    raw_hex: toHex(bytes),
    first_seen: new Date(envelope.time).toISOString(),
    hash: packetHash(bytes[0]!, payload),
    encoded,
    advert,
    origin: envelope.origin.publicKey,
  };
}

/** The node's ADVERT, stamped with its clock at `time`. */
export function advertPacket(rng: Rng, envelope: Envelope): GeneratedPacket {
  const node = envelope.origin;
  const input: AdvertInput & { signature: string } = {
    publicKey: node.publicKey,
    // Node clocks drift a little; the advert carries the sender's, in seconds.
    timestamp: Math.floor(envelope.time / 1000) - rng.int(30),
    signature: toHex(rng.bytes(64)),
    type: ADVERT_TYPE_OF_ROLE[node.role],
    ...(node.lat === null || node.lon === null ? {} : { lat: node.lat, lon: node.lon }),
    name: node.name,
  };
  return buildPacket(envelope, PAYLOAD_TYPE.ADVERT, encodeAdvert(input), input);
}

/** TXT_MSG: destination and source hash bytes, a 2-byte MAC, then ciphertext blocks. */
export function textPacket(rng: Rng, envelope: Envelope, to: GeneratedNode): GeneratedPacket {
  const head = Uint8Array.of(fromHex(to.publicKey.slice(0, 2))![0]!, fromHex(envelope.origin.publicKey.slice(0, 2))![0]!);
  return buildPacket(envelope, PAYLOAD_TYPE.TXT_MSG, concat(head, rng.bytes(2), rng.bytes(16 * rng.between(1, 4))));
}

/** GRP_TXT: channel hash byte, a 2-byte MAC, then ciphertext blocks. */
export function groupTextPacket(rng: Rng, envelope: Envelope, channel: number): GeneratedPacket {
  return buildPacket(envelope, PAYLOAD_TYPE.GRP_TXT, concat(Uint8Array.of(channel), rng.bytes(2), rng.bytes(16 * rng.between(1, 5))));
}

/** ACK: the 4-byte checksum of the acknowledged message. */
export function ackPacket(rng: Rng, envelope: Envelope): GeneratedPacket {
  return buildPacket(envelope, PAYLOAD_TYPE.ACK, rng.bytes(4));
}

/**
 * PATH: a returned path, flooded back to whoever asked; relays write their own hashes into
 * its path as into any flood. Payload: destination and source hash bytes, a 2-byte MAC,
 * then the encrypted path and extra data.
 */
export function pathPacket(rng: Rng, envelope: Envelope, to: GeneratedNode): GeneratedPacket {
  const head = Uint8Array.of(fromHex(to.publicKey.slice(0, 2))![0]!, fromHex(envelope.origin.publicKey.slice(0, 2))![0]!);
  return buildPacket(envelope, PAYLOAD_TYPE.PATH, concat(head, rng.bytes(2), rng.bytes(16 * rng.between(1, 2))));
}

/**
 * TRACE, sent direct: tag (4 bytes), auth code (4), flags (1; the low 2 bits say the traced
 * hashes are 1 << bits bytes wide), then the hashes of the nodes to trace. The path holds
 * one SNR reading (dB × 4, signed) per hop so far, not node hashes, at the width the TRACE
 * asks for rather than each relay's own.
 */
export function tracePacket(rng: Rng, envelope: Omit<Envelope, 'routeType' | 'hashSize'>, traced: GeneratedNode[], width: 1 | 2): GeneratedPacket {
  const hashes = concat(...traced.map((node) => fromHex(node.publicKey.slice(0, width * 2))!));
  const flags = width === 2 ? 1 : 0;
  return buildPacket(
    { ...envelope, routeType: ROUTE_TYPE.DIRECT, hashSize: width },
    PAYLOAD_TYPE.TRACE,
    concat(rng.bytes(4), rng.bytes(4), Uint8Array.of(flags), hashes),
  );
}

/** SNR readings as path bytes: `count` hops of `size` bytes, each byte an int8 of dB × 4. */
export function snrHops(rng: Rng, count: number, size: number): string[] {
  return Array.from({ length: count }, () => toHex(Uint8Array.from({ length: size }, () => rng.between(-40, 60) & 0xff)));
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}
