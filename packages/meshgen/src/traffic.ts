// Who may send and relay what, when; and one random packet of ordinary traffic.
//
// The rule that keeps the planted statuses true: inside the window, a multi-byte path only
// ever names relays whose firmware relays multi-byte paths and that are on the air then
// (their planned status is confirmed or suspected); only live nodes originate there.

import { ROUTE_TYPE } from '@mbcap/meshcore';
import { ackPacket, advertPacket, groupTextPacket, pathPacket, snrHops, textPacket, tracePacket, type Envelope } from './build.js';
import { isRelay } from './nodes.js';
import type { Rng } from './random.js';
import type { GeneratedNode, GeneratedPacket } from './types.js';

export type TrafficContext = {
  rng: Rng;
  nodes: readonly GeneratedNode[];
  /** Start of the analysis window, ms. */
  windowStart: number;
  /** Whether silent and relay-only nodes may still originate before the window (initial mesh only). */
  past: boolean;
  /** Hashes already used: a new packet never repeats one. */
  hashes: Set<string>;
};

/** Whether a node is heard at `time`, as the sender of a packet or as a relay. */
export function onAir(ctx: TrafficContext, node: GeneratedNode, time: number, as: 'origin' | 'relay'): boolean {
  if (node.activity === 'live') return true;
  const before = ctx.past && time < ctx.windowStart;
  return node.activity === 'relay-only' && as === 'relay' ? true : before;
}

/** Up to `count` distinct relays for a path of `hashSize` at `time`, as hop hex strings. */
export function pickHops(ctx: TrafficContext, time: number, hashSize: number, count: number, exclude: readonly GeneratedNode[] = []): string[] {
  const pool = ctx.nodes.filter((n) => isRelay(n.role) && (hashSize === 1 || n.multibyteRelay) && onAir(ctx, n, time, 'relay') && !exclude.includes(n));
  const hops: string[] = [];
  for (let i = 0; i < count && pool.length > 0; i++) {
    const [relay] = pool.splice(ctx.rng.int(pool.length), 1);
    hops.push(relay!.publicKey.slice(0, hashSize * 2));
  }
  return hops;
}

/** Builds with `make` until the hash is new (a 4-byte ACK can repeat), and records it. */
export function emit(ctx: TrafficContext, make: () => GeneratedPacket): GeneratedPacket {
  for (let attempt = 0; ; attempt++) {
    const packet = make();
    if (!ctx.hashes.has(packet.hash)) {
      ctx.hashes.add(packet.hash);
      return packet;
    }
    if (attempt > 20) throw new Error(`could not make a packet with a new hash after ${attempt} attempts`);
  }
}

/** A flood envelope from `origin` at `time` with 0-5 relays (a quarter heard before any relay). */
export function floodEnvelope(ctx: TrafficContext, origin: GeneratedNode, time: number): Envelope {
  const { rng } = ctx;
  const count = rng.chance(0.25)
    ? 0
    : rng.weighted([
        [1, 30],
        [2, 30],
        [3, 20],
        [4, 12],
        [5, 8],
      ]);
  const transport = rng.chance(0.1);
  return {
    time,
    routeType: transport ? ROUTE_TYPE.TRANSPORT_FLOOD : ROUTE_TYPE.FLOOD,
    hashSize: origin.hashSize,
    hops: pickHops(ctx, time, origin.hashSize, count, [origin]),
    origin,
    transportCodes: transport ? [rng.int(0x10000), rng.int(0x10000)] : null,
  };
}

/**
 * A direct envelope: the stored route of 0-4 relays. With no relay the firmware sends path
 * byte 0x00 (1-byte) whatever the sender's setting.
 */
export function directEnvelope(ctx: TrafficContext, origin: GeneratedNode, time: number): Envelope {
  const count = ctx.rng.weighted([
    [0, 25],
    [1, 30],
    [2, 25],
    [3, 12],
    [4, 8],
  ]);
  const hops = pickHops(ctx, time, origin.hashSize, count, [origin]);
  return { time, routeType: ROUTE_TYPE.DIRECT, hashSize: hops.length === 0 ? 1 : origin.hashSize, hops, origin };
}

type Kind = 'advert' | 'text' | 'group' | 'ack' | 'path' | 'trace';
const KINDS: readonly (readonly [Kind, number])[] = [
  ['advert', 30],
  ['text', 25],
  ['group', 20],
  ['ack', 15],
  ['path', 8],
  ['trace', 10],
];

/** One packet of ordinary traffic at `time`, or null when nobody is on the air to send it. */
export function randomPacket(ctx: TrafficContext, time: number): GeneratedPacket | null {
  const { rng, nodes } = ctx;
  const kind = rng.weighted(KINDS);
  const senders = nodes.filter((n) => onAir(ctx, n, time, 'origin') && sends(n, kind));
  if (senders.length === 0) return null;
  const origin = rng.pick(senders);
  switch (kind) {
    case 'advert':
      return emit(ctx, () => advertPacket(rng, floodEnvelope(ctx, origin, time)));
    case 'text': {
      const to = rng.pick(nodes.filter((n) => n !== origin && (n.role === 'companion' || n.role === 'room')));
      return emit(ctx, () => textPacket(rng, rng.chance(0.4) ? floodEnvelope(ctx, origin, time) : directEnvelope(ctx, origin, time), to));
    }
    case 'group':
      return emit(ctx, () => groupTextPacket(rng, floodEnvelope(ctx, origin, time), rng.pick([0x11, 0x8b, 0xd4])));
    case 'ack':
      return emit(ctx, () => ackPacket(rng, rng.chance(0.7) ? directEnvelope(ctx, origin, time) : floodEnvelope(ctx, origin, time)));
    case 'path': {
      const to = rng.pick(nodes.filter((n) => n !== origin && (n.role === 'companion' || n.role === 'room')));
      return emit(ctx, () => pathPacket(rng, floodEnvelope(ctx, origin, time), to));
    }
    case 'trace':
      return emit(ctx, () => trace(ctx, origin, time));
  }
}

/**
 * A TRACE asking for 1-byte hashes, or, from a multi-byte sender, 2-byte ones; its path
 * holds one SNR reading of that width per hop. Half of a multi-byte sender's readings are
 * made to equal key prefixes of unknown nodes, a trap for a rule that would forget that
 * TRACE paths are not hops.
 */
function trace(ctx: TrafficContext, origin: GeneratedNode, time: number): GeneratedPacket {
  const { rng, nodes } = ctx;
  const count = rng.between(1, 4);
  const traced = Array.from({ length: count }, () => rng.pick(nodes));
  const width = origin.hashSize >= 2 ? 2 : 1;
  const unknown = nodes.filter((n) => n.planned === 'unknown');
  const hops =
    width === 2 && unknown.length > 0 && rng.chance(0.5)
      ? Array.from({ length: count }, () => rng.pick(unknown).publicKey.slice(0, width * 2))
      : snrHops(rng, count, width);
  return tracePacket(rng, { time, hops, origin }, traced, width);
}

function sends(node: GeneratedNode, kind: Kind): boolean {
  switch (kind) {
    case 'advert':
      return true;
    case 'text':
    case 'ack':
      return node.role === 'companion' || node.role === 'room';
    case 'path':
      return node.role !== 'sensor';
    case 'group':
      return node.role === 'companion';
    case 'trace':
      return node.role === 'companion' || node.role === 'repeater';
  }
}
