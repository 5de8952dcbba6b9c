import { Buffer } from 'node:buffer';

const DIGITS = '0123456789abcdef';
const BYTE_TO_HEX: readonly string[] = Array.from({ length: 256 }, (_, b) => DIGITS[b >> 4]! + DIGITS[b & 0x0f]!);
const HEX_TEXT = /^[0-9a-fA-F]*$/;

/** Lowercase hex of `bytes`. */
export function toHex(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i++) out += BYTE_TO_HEX[bytes[i]!]!;
  return out;
}

/**
 * Bytes of a hex string (either case), or null when the text is not whole bytes of hex.
 * The result may share a pooled ArrayBuffer with other small results: `slice()` it to keep
 * it apart.
 */
export function fromHex(text: string): Uint8Array | null {
  if (typeof text !== 'string' || text.length % 2 !== 0) return null;
  // Node's native decoder is several times faster than a JS loop, and pooled, which matters
  // at a million packets. It stops at the first non-hex digit (the length check below sees
  // that) but reads a wide character by its low byte, so non-ASCII text is refused first.
  if (Buffer.byteLength(text, 'utf8') !== text.length) return null;
  const buffer = Buffer.from(text, 'hex');
  if (buffer.length * 2 !== text.length) return null;
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.length);
}

/** True when `text` is a non-empty string of hex digits (any length, either case). */
export function isHex(text: unknown): text is string {
  return typeof text === 'string' && text.length > 0 && HEX_TEXT.test(text);
}
