// One line of packet JSON → the transmissions row and the node upsert it implies, or the
// reason it is unusable. Pure: no database, no clock but the one passed in.

import { parseFirstSeen } from '@mbcap/dbschema';
import { ADVERT_FIXED_SIZE, decodeAdvert, decodePacket, fromHex, isHex, packetHash, payloadTypeName, PAYLOAD_TYPE, toHex } from '@mbcap/meshcore';

/** A row of `transmissions` as a CoreScope database holds it (path_json: our optional column). */
export type TransmissionRow = {
  raw_hex: string;
  hash: string;
  first_seen: string;
  route_type: number;
  payload_type: number;
  payload_version: number;
  decoded_json: string;
  path_json: string;
};

/** What an advert says about its node; null fields leave the stored value alone. */
export type NodeUpsert = {
  /** 64 lowercase hex characters. */
  public_key: string;
  name: string | null;
  role: string | null;
  lat: number | null;
  lon: number | null;
  /** The packet's first_seen, as given, and as an instant. */
  seen: string;
  seenMs: number;
};

export type LineOutcome = { kind: 'packet'; row: TransmissionRow; node: NodeUpsert | null } | { kind: 'bad'; reason: string } | { kind: 'blank' };

/** Decodes one input line; `now` gives first_seen for packets without one. */
export function decodeLine(text: string, now: () => string): LineOutcome {
  // Parse the JSON object
  if (text.trim() === '') return { kind: 'blank' };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return bad(`not JSON (${(error as Error).message})`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return bad('not a JSON object');
  const line = value as { raw_hex?: unknown; first_seen?: unknown; hash?: unknown };

  // raw_hex → packet
  if (line.raw_hex === undefined || line.raw_hex === null) return bad('no raw_hex');
  if (typeof line.raw_hex !== 'string') return bad(`raw_hex is not a string (${typeof line.raw_hex})`);
  const bytes = isHex(line.raw_hex) ? fromHex(line.raw_hex) : null;
  if (bytes === null) return bad(`raw_hex is not hex (${describeHex(line.raw_hex)})`);
  const packet = decodePacket(bytes);
  if (packet === null) return bad(`not a valid MeshCore packet: ${whyInvalid(bytes)}`);

  // first_seen and hash
  let firstSeen: string;
  let seenMs: number | null;
  if (line.first_seen === undefined || line.first_seen === null) {
    firstSeen = now();
    seenMs = Date.parse(firstSeen);
  } else {
    seenMs = parseFirstSeen(line.first_seen);
    if (typeof line.first_seen !== 'string' || seenMs === null) return bad(`first_seen is not an ISO 8601 time (${JSON.stringify(line.first_seen)})`);
    firstSeen = line.first_seen;
  }
  if (line.hash !== undefined && line.hash !== null && typeof line.hash !== 'string') return bad(`hash is not a string (${typeof line.hash})`);
  const hash = typeof line.hash === 'string' && line.hash !== '' ? line.hash : packetHash(bytes[0]!, packet.payload);

  // Payload
  let decoded: Record<string, unknown> = { type: payloadTypeName(packet.payloadType) };
  let node: NodeUpsert | null = null;
  if (packet.payloadType === PAYLOAD_TYPE.ADVERT) {
    if (packet.payload.length < 32) return bad(`ADVERT payload is ${packet.payload.length} bytes, too short for a public key (32)`);
    // A payload cut before the app data still names its key; the rest stays null.
    const advert = packet.payload.length >= ADVERT_FIXED_SIZE ? decodeAdvert(packet.payload) : null;
    const pubKey = advert?.publicKey ?? toHex(packet.payload.subarray(0, 32));
    const role = advert === null || advert.flags === null ? null : advert.role;
    decoded = {
      ...decoded,
      pubKey,
      name: advert?.name ?? null,
      flags: advert?.flags ?? null,
      role,
      lat: advert?.lat ?? null,
      lon: advert?.lon ?? null,
      timestamp: advert?.timestamp ?? null,
    };
    node = {
      public_key: pubKey,
      name: advert?.name ?? null,
      role: role === 'unknown' ? null : role,
      lat: advert?.lat ?? null,
      lon: advert?.lon ?? null,
      seen: firstSeen,
      seenMs,
    };
  }

  return {
    kind: 'packet',
    row: {
      raw_hex: line.raw_hex.toLowerCase(),
      hash,
      first_seen: firstSeen,
      route_type: packet.routeType,
      payload_type: packet.payloadType,
      payload_version: packet.payloadVersion,
      decoded_json: JSON.stringify(decoded),
      path_json: JSON.stringify(packet.hops),
    },
    node,
  };
}

function bad(reason: string): LineOutcome {
  return { kind: 'bad', reason };
}

/** Why decodePacket refused the bytes, in words. */
function whyInvalid(bytes: Uint8Array): string {
  const route = bytes[0]! & 0x03;
  const pathAt = route === 0 || route === 3 ? 5 : 1;
  if (bytes.length <= pathAt) {
    return `${bytes.length} byte${bytes.length === 1 ? '' : 's'} end${bytes.length === 1 ? 's' : ''} before the path-length byte (offset ${pathAt}${pathAt === 5 ? ', after the transport codes' : ''})`;
  }
  const pl = bytes[pathAt]!;
  if (pl >> 6 === 3) return `path-length byte 0x${pl.toString(16).padStart(2, '0')} uses the reserved hash size 0b11`;
  const need = (pl & 0x3f) * ((pl >> 6) + 1);
  return `path claims ${need} bytes, ${bytes.length - pathAt - 1} present`;
}

function describeHex(text: string): string {
  if (text === '') return 'empty';
  const wrong = /[^0-9a-fA-F]/.exec(text);
  if (wrong) return `${JSON.stringify(wrong[0])} at character ${wrong.index + 1}`;
  return `odd length ${text.length}`;
}
