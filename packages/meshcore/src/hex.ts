const DIGITS = '0123456789abcdef';
const BYTE_TO_HEX: readonly string[] = Array.from({ length: 256 }, (_, b) => DIGITS[b >> 4]! + DIGITS[b & 0x0f]!);

// Char code → nibble value, -1 for anything that is not a hex digit.
const NIBBLE = new Int8Array(128).fill(-1);
for (let i = 0; i < 16; i++) {
  NIBBLE[DIGITS.charCodeAt(i)] = i;
  NIBBLE[DIGITS.toUpperCase().charCodeAt(i)] = i;
}

/** Lowercase hex of `bytes`. */
export function toHex(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i++) out += BYTE_TO_HEX[bytes[i]!]!;
  return out;
}

/** Bytes of a hex string (either case), or null when the text is not whole bytes of hex. */
export function fromHex(text: string): Uint8Array | null {
  if (typeof text !== 'string' || text.length % 2 !== 0) return null;
  const out = new Uint8Array(text.length / 2);
  for (let i = 0; i < out.length; i++) {
    const hi = nibble(text.charCodeAt(2 * i));
    const lo = nibble(text.charCodeAt(2 * i + 1));
    if (hi < 0 || lo < 0) return null;
    out[i] = (hi << 4) | lo;
  }
  return out;
}

/** True when `text` is a non-empty string of hex digits (any length, either case). */
export function isHex(text: unknown): text is string {
  if (typeof text !== 'string' || text.length === 0) return false;
  for (let i = 0; i < text.length; i++) if (nibble(text.charCodeAt(i)) < 0) return false;
  return true;
}

function nibble(code: number): number {
  return code < 128 ? NIBBLE[code]! : -1;
}
