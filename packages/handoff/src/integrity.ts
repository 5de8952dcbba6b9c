import { createHash, createHmac, timingSafeEqual, type Hash } from 'node:crypto';

// The integrity trailer closes every document we write:
//
//   {"version":1,…,"entries":[…],"checksum":"sha256:<64 hex>","signature":"hmac-sha256:<64 hex>"}\n
//
// Both digests cover the bytes before `,"checksum"` exactly as they lie on disk, so a
// reader verifies them without re-serialising anything, and any JSON reader (Go's too)
// still sees one plain object with two extra string fields. `signature` is present only
// when the writer was given a key.
const TRAILER = /,"checksum":"sha256:([0-9a-f]{64})"(?:,"signature":"hmac-sha256:([0-9a-f]{64})")?\}\s*$/;
/** The trailer lies within the last this many bytes of a file (with room for whitespace after it). */
export const TRAILER_TAIL_BYTES = 200;

export type HmacKey = string | Buffer;

export type Trailer = {
  /** Length of the covered bytes: everything before `,"checksum"`. */
  coveredLength: number;
  checksum: string;
  signature: string | null;
};

/** Finds the trailer at the end of `bytes`, or null when there is none. */
export function findTrailer(bytes: Buffer): Trailer | null {
  const tailStart = Math.max(0, bytes.length - TRAILER_TAIL_BYTES);
  const tail = bytes.toString('latin1', tailStart);
  const m = TRAILER.exec(tail);
  if (!m) return null;
  return { coveredLength: tailStart + m.index, checksum: m[1]!, signature: m[2] ?? null };
}

/** The checksum named by the trailer in a file's last bytes, or null when there is none. */
export function trailerChecksum(tail: Buffer): string | null {
  return findTrailer(tail)?.checksum ?? null;
}

/**
 * Builds the trailer for the covered bytes (the document without its closing brace, in
 * parts laid end to end), and the sha256 of the whole file (covered bytes and trailer)
 * from the same pass.
 */
export function trailerFor(covered: readonly Buffer[], hmacKey: HmacKey | undefined): { bytes: Buffer; checksum: string; contentHash: string } {
  const hash = createHash('sha256');
  for (const part of covered) hash.update(part);
  const checksum = hash.copy().digest('hex');
  let signature: string | null = null;
  if (hmacKey !== undefined) {
    const hmac = createHmac('sha256', hmacKey);
    for (const part of covered) hmac.update(part);
    signature = hmac.digest('hex');
  }
  const bytes = trailerBytes(checksum, signature);
  return { bytes, checksum, contentHash: hash.update(bytes).digest('hex') };
}

/** The trailer's bytes for a checksum and, when signed, a signature. */
export function trailerBytes(checksum: string, signature: string | null): Buffer {
  let text = `,"checksum":"sha256:${checksum}"`;
  if (signature !== null) text += `,"signature":"hmac-sha256:${signature}"`;
  return Buffer.from(`${text}}\n`, 'utf8');
}

export function sign(covered: Buffer, key: HmacKey): string {
  return createHmac('sha256', key).update(covered).digest('hex');
}

export function signatureMatches(covered: Buffer, key: HmacKey, signature: string): boolean {
  const expected = Buffer.from(sign(covered, key), 'hex');
  const given = Buffer.from(signature, 'hex');
  return expected.length === given.length && timingSafeEqual(expected, given);
}

/**
 * Hashes the whole file once, taking the checksum of the covered prefix on the way, so a
 * large snapshot is read through sha256 a single time.
 */
export function digestFile(bytes: Buffer, coveredLength: number | null): { contentHash: string; coveredHash: string | null } {
  const hash: Hash = createHash('sha256');
  if (coveredLength === null) return { contentHash: hash.update(bytes).digest('hex'), coveredHash: null };
  hash.update(bytes.subarray(0, coveredLength));
  const coveredHash = hash.copy().digest('hex');
  hash.update(bytes.subarray(coveredLength));
  return { contentHash: hash.digest('hex'), coveredHash };
}

export function checkHmacKey(key: unknown): HmacKey | undefined {
  if (key === undefined) return undefined;
  if (typeof key === 'string' ? key.length === 0 : !Buffer.isBuffer(key) || key.length === 0) {
    throw new TypeError('Expected the "hmacKey" option to be a non-empty string or Buffer');
  }
  return key as HmacKey;
}
