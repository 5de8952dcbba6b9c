// The capability rules of docs/capability.md, written out plainly over what the generator encoded
// (independent of the server's implementation, so the two can be checked against each other).

import { isDirectRoute, PAYLOAD_TYPE } from '@mbcap/meshcore';
import type { CapabilityStatus, GeneratedNode, GeneratedPacket } from './types.js';

/** Per node, the latest time (ms) of each kind of multi-byte evidence; null for none. */
export type Evidence = { advert: number | null; hop: number | null };

/**
 * The latest multi-byte evidence per lowercase public key, over packets with
 * first_seen ≥ `since` (null: all):
 * - advert: an ADVERT with path hash size ≥ 2 carrying the node's key;
 * - hop: a hop of a packet other than TRACE with hash size ≥ 2 equal to the node's key
 *   prefix of the hop's length (every node sharing the prefix); PATH packets count.
 * A zero-hop direct packet is evidence of nothing: its path byte says nothing of its sender.
 */
export function collectEvidence(nodes: readonly GeneratedNode[], packets: readonly GeneratedPacket[], since: number | null = null): Map<string, Evidence> {
  const evidence = new Map<string, Evidence>(nodes.map((node) => [node.publicKey.toLowerCase(), { advert: null, hop: null }]));
  const byPrefix = new Map<string, string[]>();
  for (const key of evidence.keys()) {
    for (let length = 2; length <= key.length; length += 2) {
      const prefix = key.slice(0, length);
      const keys = byPrefix.get(prefix);
      if (keys) keys.push(key);
      else byPrefix.set(prefix, [key]);
    }
  }
  const later = (a: number | null, b: number): number => (a === null || b > a ? b : a);

  for (const packet of packets) {
    const time = Date.parse(packet.first_seen);
    if (since !== null && time < since) continue;
    const { hashSize, payloadType, hops, routeType } = packet.encoded;
    if (hashSize < 2) continue;
    if (hops.length === 0 && isDirectRoute(routeType)) continue;
    if (payloadType === PAYLOAD_TYPE.ADVERT && packet.advert !== null) {
      const entry = evidence.get(packet.advert.publicKey.toLowerCase());
      if (entry) entry.advert = later(entry.advert, time);
    }
    if (payloadType === PAYLOAD_TYPE.TRACE) continue;
    for (const hop of hops) {
      for (const key of byPrefix.get(hop.toLowerCase()) ?? []) {
        const entry = evidence.get(key)!;
        entry.hop = later(entry.hop, time);
      }
    }
  }
  return evidence;
}

/** Status per lowercase public key over the window of `windowMs` ending at `now`. */
export function expectedStatuses(
  nodes: readonly GeneratedNode[],
  packets: readonly GeneratedPacket[],
  options: { now: Date | string | number; windowMs: number | null },
): Record<string, CapabilityStatus> {
  const now = new Date(options.now).getTime();
  const since = options.windowMs === null ? null : now - options.windowMs;
  const expected: Record<string, CapabilityStatus> = {};
  for (const [key, { advert, hop }] of collectEvidence(nodes, packets, since)) {
    expected[key] = advert !== null ? 'confirmed' : hop !== null ? 'suspected' : 'unknown';
  }
  return expected;
}
