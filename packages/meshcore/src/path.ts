import { expectInteger } from './validate.js';

export type PathLength = {
  /** Bytes per hop hash: 1, 2 or 3. */
  hashSize: 1 | 2 | 3;
  /** 0..63 */
  hopCount: number;
};

/** The most hops a path-length byte can count (6 bits). */
export const MAX_HOPS = 63;

/**
 * Splits a path-length byte: hop count in the low 6 bits, hash size - 1 in the top 2.
 * Null for the reserved top bits 0b11. The size bits count even with zero hops.
 */
export function decodePathLength(byte: number): PathLength | null {
  const sizeBits = (byte >> 6) & 0x03;
  if (sizeBits === 3) return null;
  return { hashSize: (sizeBits + 1) as 1 | 2 | 3, hopCount: byte & 0x3f };
}

/** Builds a path-length byte; throws when hash size or hop count is out of range. */
export function encodePathLength(hashSize: number, hopCount: number): number {
  expectInteger('hashSize', hashSize, 1, 3);
  expectInteger('hopCount', hopCount, 0, MAX_HOPS);
  return ((hashSize - 1) << 6) | hopCount;
}
