import { ADVERT_FIXED_SIZE, ADVERT_FLAG } from './advert.js';
import { writeInt32LE, writeUint16LE } from './bytes.js';
import { fromHex, isHex } from './hex.js';
import { describe, expectInteger } from './validate.js';

export type AdvertInput = {
  /** 64 hex characters (32 bytes). */
  publicKey: string;
  /** uint32 seconds. */
  timestamp: number;
  /** 128 hex characters; zero bytes when omitted (signatures are not verified here). */
  signature?: string;
  /** Low nibble of the flags: 1 companion, 2 repeater, 3 room, 4 sensor. */
  type: number;
  /** Degrees; give both or neither. Stored as int32 millionths. */
  lat?: number;
  lon?: number;
  feature1?: number;
  feature2?: number;
  /** Sets the name flag, even when empty. Must not contain NUL. */
  name?: string;
};

const utf8 = new TextEncoder();

/** Builds an ADVERT payload that `decodeAdvert` reads back; throws on misuse. */
export function encodeAdvert(input: AdvertInput): Uint8Array {
  // Validate arguments
  const publicKey = bytesOf('publicKey', input.publicKey, 32);
  const timestamp = expectInteger('timestamp', input.timestamp, 0, 0xffffffff);
  const signature = input.signature === undefined ? new Uint8Array(64) : bytesOf('signature', input.signature, 64);
  let flags = expectInteger('type', input.type, 0, 15);
  if ((input.lat === undefined) !== (input.lon === undefined)) {
    throw new TypeError('Expected "lat" and "lon" to be given together or not at all');
  }
  const location = input.lat === undefined ? null : [degrees('lat', input.lat, 90), degrees('lon', input.lon, 180)];
  const feature1 = input.feature1 === undefined ? null : expectInteger('feature1', input.feature1, 0, 0xffff);
  const feature2 = input.feature2 === undefined ? null : expectInteger('feature2', input.feature2, 0, 0xffff);
  if (input.name !== undefined && (typeof input.name !== 'string' || input.name.includes('\0'))) {
    throw new TypeError(`Expected "name" to be a string without NUL, got ${describe(input.name)}`);
  }
  const name = input.name === undefined ? null : utf8.encode(input.name);

  // Flags announce the optional fields, which follow in flag order
  if (location) flags |= ADVERT_FLAG.HAS_LOCATION;
  if (feature1 !== null) flags |= ADVERT_FLAG.HAS_FEATURE1;
  if (feature2 !== null) flags |= ADVERT_FLAG.HAS_FEATURE2;
  if (name) flags |= ADVERT_FLAG.HAS_NAME;
  const size = ADVERT_FIXED_SIZE + 1 + (location ? 8 : 0) + (feature1 !== null ? 2 : 0) + (feature2 !== null ? 2 : 0);
  const out = new Uint8Array(size + (name?.length ?? 0));
  out.set(publicKey, 0);
  writeInt32LE(out, 32, timestamp);
  out.set(signature, 36);
  out[ADVERT_FIXED_SIZE] = flags;
  let offset = ADVERT_FIXED_SIZE + 1;
  if (location) {
    writeInt32LE(out, offset, location[0]!);
    writeInt32LE(out, offset + 4, location[1]!);
    offset += 8;
  }
  if (feature1 !== null) {
    writeUint16LE(out, offset, feature1);
    offset += 2;
  }
  if (feature2 !== null) {
    writeUint16LE(out, offset, feature2);
    offset += 2;
  }
  if (name) out.set(name, offset);
  return out;
}

function bytesOf(field: string, hex: unknown, length: number): Uint8Array {
  const bytes = isHex(hex) ? fromHex(hex) : null;
  if (bytes === null || bytes.length !== length) {
    throw new TypeError(`Expected "${field}" to be ${length * 2} hex characters (${length} bytes), got ${describe(hex)}`);
  }
  return bytes;
}

function degrees(field: string, value: unknown, limit: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new TypeError(`Expected "${field}" to be a number of degrees, got ${describe(value)}`);
  }
  if (Math.abs(value) > limit) throw new RangeError(`Expected "${field}" to be within ±${limit} degrees, got ${value}`);
  return Math.round(value * 1e6);
}
