// Reading the header and path straight from the hex text, without decoding the packet:
// the capability scan looks at millions of packets and needs only these few bytes.
import { hasTransportCodes } from './header.js';

/** Where the parts of a packet lie in its hex text (offsets in characters). */
export type PacketPeek = {
  routeType: number;
  payloadType: number;
  hashSize: 1 | 2 | 3;
  hopCount: number;
  pathStart: number;
  payloadStart: number;
};

const NIBBLE = new Int8Array(128).fill(-1);
for (let i = 0; i < 16; i++) {
  NIBBLE['0123456789abcdef'.charCodeAt(i)] = i;
  NIBBLE['0123456789ABCDEF'.charCodeAt(i)] = i;
}

/** The byte at hex character `at`, or -1 when it is missing or not hex. */
function byteAt(hex: string, at: number): number {
  if (at + 1 >= hex.length) return -1;
  const hi = hex.charCodeAt(at);
  const lo = hex.charCodeAt(at + 1);
  if (hi > 127 || lo > 127) return -1;
  const h = NIBBLE[hi]!;
  const l = NIBBLE[lo]!;
  return h < 0 || l < 0 ? -1 : (h << 4) | l;
}

function allHex(hex: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const c = hex.charCodeAt(i);
    if (c > 127 || NIBBLE[c]! < 0) return false;
  }
  return true;
}

/**
 * The header, the transport codes' place and the path of a hex packet, or null when any of
 * them is missing, not hex, or invalid (reserved hash-size bits). The payload is not looked
 * at: a packet counts for its path when its header and path are intact.
 */
export function peekPacket(hex: string): PacketPeek | null {
  if (typeof hex !== 'string') return null;
  const header = byteAt(hex, 0);
  if (header < 0) return null;
  const routeType = header & 0x03;
  let offset = 2;
  if (hasTransportCodes(routeType)) {
    if (!allHex(hex, 2, 10) || hex.length < 10) return null;
    offset = 10;
  }
  const pathLen = byteAt(hex, offset);
  if (pathLen < 0 || pathLen >> 6 === 3) return null;
  const hashSize = ((pathLen >> 6) + 1) as 1 | 2 | 3;
  const hopCount = pathLen & 0x3f;
  const pathStart = offset + 2;
  const payloadStart = pathStart + hopCount * hashSize * 2;
  if (payloadStart > hex.length || !allHex(hex, pathStart, payloadStart)) return null;
  return { routeType, payloadType: (header >> 2) & 0x0f, hashSize, hopCount, pathStart, payloadStart };
}

/** The hops of a peeked packet, lowercase hex. */
export function peekHops(hex: string, peek: PacketPeek): string[] {
  const width = peek.hashSize * 2;
  const hops: string[] = new Array(peek.hopCount);
  for (let i = 0; i < peek.hopCount; i++) hops[i] = hex.slice(peek.pathStart + i * width, peek.pathStart + (i + 1) * width).toLowerCase();
  return hops;
}

/** `bytes` bytes of the payload as lowercase hex, or null when they are missing or not hex. */
export function peekPayload(hex: string, peek: PacketPeek, bytes: number): string | null {
  const end = peek.payloadStart + bytes * 2;
  if (end > hex.length || !allHex(hex, peek.payloadStart, end)) return null;
  return hex.slice(peek.payloadStart, end).toLowerCase();
}
