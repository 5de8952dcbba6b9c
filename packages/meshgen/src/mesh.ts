// generateMesh(): the initial mesh, its traffic over a span ending at `now`, and the statuses.

import { createRng } from './random.js';
import { createNodes, MIN_NODES } from './nodes.js';
import { plantAdvert, plantRelay, timeIn } from './plant.js';
import { expectedStatuses } from './rules.js';
import { randomPacket, type TrafficContext } from './traffic.js';
import type { GeneratedPacket, MeshState } from './types.js';

export type MeshOptions = {
  /** Any integer; the same seed (and options) gives the same mesh. Default 1. */
  seed?: number;
  /** Number of nodes, at least 8. Default 120. */
  nodes?: number;
  /** Packets of ordinary traffic on top of the adverts and paths that plant the statuses. Default 3000. */
  packets?: number;
  /** End of the traffic. Default 2026-04-01T00:00:00.000Z (fixed, so output never depends on the clock). */
  now?: Date | string | number;
  /** Length of the traffic span, ending at `now`; longer than the window. Default 10 days. */
  spanMs?: number;
  /** Analysis window the statuses are computed over. Default 7 days. */
  windowMs?: number;
};

const DAY = 86_400_000;
export const DEFAULT_NOW = '2026-04-01T00:00:00.000Z';
export const DEFAULT_WINDOW_MS = 7 * DAY;
/** Planted in-window evidence keeps this far from the window's start. */
const MARGIN = 60_000;

/** A synthetic mesh: nodes of every role and status, and their traffic as MeshCore packets. */
export function generateMesh(options: MeshOptions = {}): MeshState {
  // Interpret options
  const seed = options.seed ?? 1;
  if (!Number.isInteger(seed)) throw new TypeError(`Expected the "seed" option to be an integer, got ${String(seed)}`);
  const count = options.nodes ?? 120;
  if (!Number.isInteger(count) || count < MIN_NODES || count > 10_000) {
    throw new RangeError(`Expected the "nodes" option to be an integer ${MIN_NODES}..10000, got ${String(count)}`);
  }
  const traffic = options.packets ?? 3000;
  if (!Number.isInteger(traffic) || traffic < 0) throw new RangeError(`Expected the "packets" option to be a non-negative integer, got ${String(traffic)}`);
  const now = new Date(options.now ?? DEFAULT_NOW).getTime();
  if (!Number.isFinite(now)) throw new TypeError(`Expected the "now" option to be a date, got ${String(options.now)}`);
  const windowMs = options.windowMs ?? DEFAULT_WINDOW_MS;
  const spanMs = options.spanMs ?? 10 * DAY;
  if (!(windowMs > 2 * MARGIN) || !(spanMs > windowMs + MARGIN)) {
    throw new RangeError(`Expected "spanMs" (${spanMs}) to exceed "windowMs" (${windowMs}), which must exceed 2 minutes`);
  }

  const rng = createRng(seed);
  const nodes = createNodes(rng, count);
  const start = now - spanMs;
  const windowStart = now - windowMs;
  const ctx: TrafficContext = { rng, nodes, windowStart, past: true, hashes: new Set() };
  const packets: GeneratedPacket[] = [];

  // Adverts: live nodes inside the window (and some before); the others only before it
  for (const node of nodes) {
    const inside = node.activity === 'live' ? rng.between(1, 3) : 0;
    const before = node.activity === 'live' ? rng.between(0, 2) : rng.between(1, 2);
    for (let i = 0; i < inside; i++) packets.push(plantAdvert(ctx, node, timeIn(rng, windowStart + MARGIN, now)));
    for (let i = 0; i < before; i++) packets.push(plantAdvert(ctx, node, timeIn(rng, start, windowStart - MARGIN)));
  }

  // Suspected relays: each forwards at least one multi-byte packet inside the window
  for (const node of nodes) {
    if (node.planned !== 'suspected') continue;
    const packet = plantRelay(ctx, node, timeIn(rng, windowStart + MARGIN, now));
    if (packet === null) throw new Error('no live multi-byte node to originate a multi-byte path (archetype missing)');
    packets.push(packet);
  }

  // Ordinary traffic over the whole span
  for (let i = 0; i < traffic; i++) {
    const packet = randomPacket(ctx, timeIn(rng, start, now));
    if (packet !== null) packets.push(packet);
  }

  packets.sort((a, b) => a.first_seen.localeCompare(b.first_seen));
  return {
    seed,
    now: new Date(now).toISOString(),
    windowMs,
    nodes,
    packets,
    expected: expectedStatuses(nodes, packets, { now, windowMs }),
    rngState: rng.state(),
  };
}
