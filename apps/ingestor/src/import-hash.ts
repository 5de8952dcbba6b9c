import { createHash } from 'node:crypto';

/**
 * The content hash CoreScope stores in `transmissions.hash` for a packet without one: the
 * first 16 hex characters of sha256 over the header byte and the payload. The path and the
 * transport codes change from hop to hop and are left out, so the same packet heard after
 * more relays is a duplicate. (Every hash in the real capture is exactly this.)
 */
export function contentHash(headerByte: number, payload: Uint8Array): string {
  return createHash('sha256').update(Uint8Array.of(headerByte)).update(payload).digest('hex').slice(0, 16);
}
