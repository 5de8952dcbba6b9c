import { readInt32LE, readUint16LE, readUint32LE } from './bytes.js';
import { toHex } from './hex.js';

/** Bytes before the app data: public key (32), timestamp (4), Ed25519 signature (64). */
export const ADVERT_FIXED_SIZE = 100;

/** App-data flag bits; the low nibble is the node type. */
export const ADVERT_FLAG = {
  TYPE_MASK: 0x0f,
  HAS_LOCATION: 0x10,
  HAS_FEATURE1: 0x20,
  HAS_FEATURE2: 0x40,
  HAS_NAME: 0x80,
} as const;

/** Node type in the flags' low nibble. */
export const ADVERT_TYPE = {
  COMPANION: 1,
  REPEATER: 2,
  ROOM: 3,
  SENSOR: 4,
} as const;

export type AdvertRole = 'companion' | 'repeater' | 'room' | 'sensor' | 'unknown';

export type Advert = {
  /** 64 lowercase hex characters. */
  publicKey: string;
  /** uint32 seconds since the epoch, as the sender's clock had it. */
  timestamp: number;
  /** 128 lowercase hex characters; not verified. */
  signature: string;
  /** Null when the payload ends right after the signature. */
  flags: number | null;
  /** Low nibble of the flags (0 without flags). */
  type: number;
  role: AdvertRole;
  /** Degrees, present only with the location flag and its 8 bytes. */
  lat: number | null;
  lon: number | null;
  feature1: number | null;
  feature2: number | null;
  /** Null without the name flag; UTF-8 up to the end or the first NUL. */
  name: string | null;
  /** True when a field the flags announce is cut off; the fields after it are null. */
  truncated: boolean;
};

const ROLES: Record<number, AdvertRole> = { 1: 'companion', 2: 'repeater', 3: 'room', 4: 'sensor' };
const utf8 = new TextDecoder('utf-8');

/** Role name of an advert node type: 'companion', 'repeater', 'room', 'sensor' or 'unknown'. */
export function advertRole(type: number): AdvertRole {
  return ROLES[type] ?? 'unknown';
}

/**
 * Decodes an ADVERT payload. Null only when the 100 fixed bytes are missing; a truncated
 * app-data part yields what could be read, with `truncated` set.
 */
export function decodeAdvert(payload: Uint8Array): Advert | null {
  if (!(payload instanceof Uint8Array) || payload.length < ADVERT_FIXED_SIZE) return null;
  const advert: Advert = {
    publicKey: toHex(payload.subarray(0, 32)),
    timestamp: readUint32LE(payload, 32),
    signature: toHex(payload.subarray(36, ADVERT_FIXED_SIZE)),
    flags: null,
    type: 0,
    role: 'unknown',
    lat: null,
    lon: null,
    feature1: null,
    feature2: null,
    name: null,
    truncated: false,
  };
  if (payload.length === ADVERT_FIXED_SIZE) return advert;

  // Flags
  const flags = payload[ADVERT_FIXED_SIZE]!;
  advert.flags = flags;
  advert.type = flags & ADVERT_FLAG.TYPE_MASK;
  advert.role = advertRole(advert.type);
  let offset = ADVERT_FIXED_SIZE + 1;
  const has = (bytes: number): boolean => {
    if (offset + bytes <= payload.length) return true;
    advert.truncated = true;
    return false;
  };

  // Optional fields, in flag order; a missing one makes everything after it unreadable
  if (flags & ADVERT_FLAG.HAS_LOCATION) {
    if (!has(8)) return advert;
    advert.lat = readInt32LE(payload, offset) / 1e6;
    advert.lon = readInt32LE(payload, offset + 4) / 1e6;
    offset += 8;
  }
  if (flags & ADVERT_FLAG.HAS_FEATURE1) {
    if (!has(2)) return advert;
    advert.feature1 = readUint16LE(payload, offset);
    offset += 2;
  }
  if (flags & ADVERT_FLAG.HAS_FEATURE2) {
    if (!has(2)) return advert;
    advert.feature2 = readUint16LE(payload, offset);
    offset += 2;
  }
  if (flags & ADVERT_FLAG.HAS_NAME) {
    const rest = payload.subarray(offset);
    const nul = rest.indexOf(0);
    advert.name = utf8.decode(nul < 0 ? rest : rest.subarray(0, nul));
  }
  return advert;
}
