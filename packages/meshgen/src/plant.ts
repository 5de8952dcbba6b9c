// The packets that make a planted status true: a node's own advert, and a multi-byte path
// through a relay.

import { advertPacket, textPacket } from './build.js';
import type { Rng } from './random.js';
import { emit, floodEnvelope, directEnvelope, type TrafficContext } from './traffic.js';
import type { GeneratedNode, GeneratedPacket } from './types.js';

/** A whole-millisecond time in [from, to]. */
export function timeIn(rng: Rng, from: number, to: number): number {
  return Math.floor(from + rng.next() * (to - from));
}

/** An ADVERT from `node` at `time`, flooded with the node's own hash size. */
export function plantAdvert(ctx: TrafficContext, node: GeneratedNode, time: number): GeneratedPacket {
  return emit(ctx, () => advertPacket(ctx.rng, floodEnvelope(ctx, node, time)));
}

/**
 * A multi-byte packet at `time` whose path names `relay`: an advert or a message from a
 * live multi-byte node, with `relay` somewhere among 1-4 hops. Null when no live node
 * originates multi-byte packets (the archetypes always provide one).
 */
export function plantRelay(ctx: TrafficContext, relay: GeneratedNode, time: number): GeneratedPacket | null {
  const { rng, nodes } = ctx;
  const origins = nodes.filter((n) => n !== relay && n.activity === 'live' && n.hashSize >= 2);
  if (origins.length === 0) return null;
  const origin = rng.pick(origins);
  const companions = nodes.filter((n) => n !== origin && n.role === 'companion');
  return emit(ctx, () => {
    const message = companions.length > 0 && rng.chance(0.5);
    const envelope = message && rng.chance(0.5) ? directEnvelope(ctx, origin, time) : floodEnvelope(ctx, origin, time);
    const others = envelope.hops.filter((hop) => hop !== relay.publicKey.slice(0, hop.length)).slice(0, 3);
    const hops = [...others];
    hops.splice(rng.int(others.length + 1), 0, relay.publicKey.slice(0, origin.hashSize * 2));
    const through = { ...envelope, hashSize: origin.hashSize, hops };
    return message ? textPacket(rng, through, rng.pick(companions)) : advertPacket(rng, through);
  });
}
