import { readUint16LE, writeUint16LE } from './bytes.js';
import { decodeHeader, encodeHeader, hasTransportCodes, type RouteType } from './header.js';
import { fromHex, isHex, toHex } from './hex.js';
import { decodePathLength, encodePathLength, MAX_HOPS } from './path.js';
import { describe, expectInteger } from './validate.js';

export type DecodedPacket = {
  routeType: RouteType;
  payloadType: number;
  payloadVersion: number;
  /** Two uint16 LE for route types 0 and 3, else null. */
  transportCodes: [number, number] | null;
  pathLenByte: number;
  hashSize: 1 | 2 | 3;
  hopCount: number;
  /** One lowercase hex string of `hashSize` bytes per hop. */
  hops: string[];
  /** The bytes after the path: a view, not a copy (of the input, or of a pooled buffer for hex); slice() to keep. */
  payload: Uint8Array;
};

export type PacketInput = {
  routeType: number;
  payloadType: number;
  payloadVersion?: number;
  /** Required for route types 0 and 3, refused for 1 and 2. */
  transportCodes?: readonly [number, number] | null;
  hashSize: number;
  /** Hex strings of exactly `hashSize` bytes each. */
  hops: readonly string[];
  /** Bytes or hex. */
  payload: Uint8Array | string;
};

/**
 * Decodes a raw packet (bytes or hex). Null, never a throw, when the input is not hex or the
 * header, transport codes or path are truncated or invalid; an empty payload is allowed.
 */
export function decodePacket(input: Uint8Array | string): DecodedPacket | null {
  const bytes = typeof input === 'string' ? fromHex(input) : input instanceof Uint8Array ? input : null;
  if (bytes === null || bytes.length === 0) return null;

  // Header and transport codes
  const { routeType, payloadType, payloadVersion } = decodeHeader(bytes[0]!);
  let offset = 1;
  let transportCodes: [number, number] | null = null;
  if (hasTransportCodes(routeType)) {
    if (bytes.length < 5) return null;
    transportCodes = [readUint16LE(bytes, 1), readUint16LE(bytes, 3)];
    offset = 5;
  }

  // Path
  if (offset >= bytes.length) return null;
  const pathLenByte = bytes[offset++]!;
  const pathLength = decodePathLength(pathLenByte);
  if (pathLength === null) return null;
  const { hashSize, hopCount } = pathLength;
  const payloadStart = offset + hopCount * hashSize;
  if (payloadStart > bytes.length) return null;
  const hops: string[] = new Array(hopCount);
  for (let i = 0; i < hopCount; i++) {
    const start = offset + i * hashSize;
    hops[i] = toHex(bytes.subarray(start, start + hashSize));
  }

  return {
    routeType,
    payloadType,
    payloadVersion,
    transportCodes,
    pathLenByte,
    hashSize,
    hopCount,
    hops,
    payload: bytes.subarray(payloadStart),
  };
}

/** Builds a packet such that `decodePacket(encodePacket(x))` gives `x` back; throws on misuse. */
export function encodePacket(input: PacketInput): Uint8Array {
  // Validate arguments
  const header = encodeHeader(input);
  const hashSize = expectInteger('hashSize', input.hashSize, 1, 3);
  const codes = transportCodesOf(input);
  const hops = input.hops;
  if (!Array.isArray(hops)) throw new TypeError(`Expected "hops" to be an array of hex strings, got ${describe(hops)}`);
  if (hops.length > MAX_HOPS) throw new RangeError(`Expected "hops" to hold at most ${MAX_HOPS} hops, got ${hops.length}`);
  const hopBytes = hops.map((hop, i) => {
    const bytes = isHex(hop) ? fromHex(hop) : null;
    if (bytes === null) throw new TypeError(`Expected "hops[${i}]" to be a hex string, got ${describe(hop)}`);
    if (bytes.length !== hashSize) {
      throw new RangeError(`Expected "hops[${i}]" to be ${hashSize} bytes (the hash size), got ${bytes.length}`);
    }
    return bytes;
  });
  const payload = typeof input.payload === 'string' ? fromHex(input.payload) : input.payload;
  if (!(payload instanceof Uint8Array)) {
    throw new TypeError(`Expected "payload" to be a Uint8Array or a hex string, got ${describe(input.payload)}`);
  }

  // Assemble
  const pathStart = codes === null ? 1 : 5;
  const payloadStart = pathStart + 1 + hops.length * hashSize;
  const out = new Uint8Array(payloadStart + payload.length);
  out[0] = header;
  if (codes !== null) {
    writeUint16LE(out, 1, codes[0]);
    writeUint16LE(out, 3, codes[1]);
  }
  out[pathStart] = encodePathLength(hashSize, hops.length);
  hopBytes.forEach((bytes, i) => out.set(bytes, pathStart + 1 + i * hashSize));
  out.set(payload, payloadStart);
  return out;
}

function transportCodesOf(input: PacketInput): readonly [number, number] | null {
  const codes = input.transportCodes ?? null;
  if (!hasTransportCodes(input.routeType)) {
    if (codes !== null) {
      throw new TypeError(`Expected no "transportCodes" for route type ${input.routeType}: only 0 and 3 carry them`);
    }
    return null;
  }
  if (!Array.isArray(codes) || codes.length !== 2) {
    throw new TypeError(`Expected "transportCodes" to be two uint16 values for route type ${input.routeType}, got ${describe(codes)}`);
  }
  expectInteger('transportCodes[0]', codes[0], 0, 0xffff);
  expectInteger('transportCodes[1]', codes[1], 0, 0xffff);
  return codes;
}
