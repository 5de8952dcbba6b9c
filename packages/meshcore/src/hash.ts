import { createHash } from 'node:crypto';

/**
 * A packet's content hash as CoreScope stores it in `transmissions.hash`: the first 16 hex
 * characters of sha256 over the header byte and the payload. The path and the transport
 * codes change from hop to hop and are left out, so the same packet heard after more
 * relays hashes the same: a duplicate. (Every hash in the real capture is exactly this.)
 */
export function packetHash(headerByte: number, payload: Uint8Array): string {
  return createHash('sha256').update(Uint8Array.of(headerByte)).update(payload).digest('hex').slice(0, 16);
}
