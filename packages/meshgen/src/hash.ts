import { createHash } from 'node:crypto';

/**
 * A packet's content hash as CoreScope stores it in `transmissions.hash`: the first 16 hex
 * characters of sha256 over the header byte and the payload. The path and the transport
 * codes are left out, so the same packet heard after more hops hashes the same.
 * (Checked against the 54 real packets: every stored hash is this.)
 */
export function packetHash(headerByte: number, payload: Uint8Array): string {
  return createHash('sha256').update(Uint8Array.of(headerByte)).update(payload).digest('hex').slice(0, 16);
}
