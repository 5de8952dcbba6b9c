// nextTraffic(): the mesh after more time has passed. Planted statuses stay true as the
// window slides (evidence about to fall out of it is renewed), and the step plants changes:
// firmware upgrades (a 1-byte node starts sending 2-byte adverts: confirmed) and reveals
// (an old-firmware relay starts forwarding multi-byte paths: suspected).

import { isRelay, plannedStatus } from './nodes.js';
import { plantAdvert, plantRelay, timeIn } from './plant.js';
import { createRng } from './random.js';
import { collectEvidence, expectedStatuses } from './rules.js';
import { randomPacket, type TrafficContext } from './traffic.js';
import type { GeneratedNode, GeneratedPacket, MeshState, StatusChange, TrafficStep } from './types.js';

export type StepOptions = {
  /** Live 1-byte nodes that switch to 2-byte hashes and advert. Default 1. */
  upgrades?: number;
  /** Live old-firmware relays that start forwarding multi-byte paths. Default 1. */
  reveals?: number;
};

/**
 * `count` packets of ordinary traffic between the state's `now` and `now`, plus the
 * packets the step plants. Deterministic: the same state and arguments give the same step.
 * The input state is not modified.
 */
export function nextTraffic(state: MeshState, now: Date | string | number, count: number, options: StepOptions = {}): TrafficStep {
  // Validate arguments
  const from = Date.parse(state.now);
  const to = new Date(now).getTime();
  if (!Number.isFinite(to) || to <= from) {
    throw new RangeError(`Expected "now" to be a date after the state's now (${state.now}), got ${String(now)}`);
  }
  if (!Number.isInteger(count) || count < 0) throw new RangeError(`Expected "count" to be a non-negative integer, got ${String(count)}`);
  const upgrades = options.upgrades ?? 1;
  const reveals = options.reveals ?? 1;

  const rng = createRng(state.rngState);
  const nodes: GeneratedNode[] = state.nodes.map((node) => ({ ...node }));
  const windowStart = to - state.windowMs;
  const ctx: TrafficContext = { rng, nodes, windowStart, past: false, hashes: new Set(state.packets.map((p) => p.hash)) };
  // Planted packets go inside both the step and the new window.
  const plantFrom = Math.max(from + 1, windowStart + 1);
  const added: GeneratedPacket[] = [];
  const events: string[] = [];

  // Firmware upgrades: a 1-byte node starts sending 2-byte adverts
  const upgradable = nodes.filter((n) => n.activity === 'live' && n.hashSize === 1);
  for (let i = 0; i < upgrades && upgradable.length > 0; i++) {
    const [node] = upgradable.splice(rng.int(upgradable.length), 1);
    Object.assign(node!, { hashSize: 2, multibyteRelay: true });
    node!.planned = plannedStatus(node!);
    added.push(plantAdvert(ctx, node!, timeIn(rng, plantFrom, to)));
    events.push(`upgrade: ${node!.name} (${node!.publicKey.slice(0, 8)}) now sends 2-byte adverts`);
  }

  // Reveals: an old-firmware relay starts forwarding multi-byte paths
  const revealable = nodes.filter((n) => n.activity === 'live' && isRelay(n.role) && !n.multibyteRelay);
  for (let i = 0; i < reveals && revealable.length > 0; i++) {
    const [node] = revealable.splice(rng.int(revealable.length), 1);
    node!.multibyteRelay = true;
    node!.planned = plannedStatus(node!);
    const packet = plantRelay(ctx, node!, timeIn(rng, plantFrom, to));
    if (packet !== null) added.push(packet);
    events.push(`reveal: ${node!.name} (${node!.publicKey.slice(0, 8)}) relays a multi-byte path`);
  }

  // Renewals: evidence for a planted status that would fall out of the new window
  const evidence = collectEvidence(nodes, [...state.packets, ...added], windowStart);
  for (const node of nodes) {
    const { advert, hop } = evidence.get(node.publicKey)!;
    if (node.planned === 'confirmed' && advert === null) added.push(plantAdvert(ctx, node, timeIn(rng, plantFrom, to)));
    if (node.planned === 'suspected' && hop === null) {
      const packet = plantRelay(ctx, node, timeIn(rng, plantFrom, to));
      if (packet !== null) added.push(packet);
    }
  }

  // Ordinary traffic
  for (let i = 0; i < count; i++) {
    const packet = randomPacket(ctx, timeIn(rng, from + 1, to));
    if (packet !== null) added.push(packet);
  }

  added.sort((a, b) => a.first_seen.localeCompare(b.first_seen));
  const packets = [...state.packets, ...added];
  const expected = expectedStatuses(nodes, packets, { now: to, windowMs: state.windowMs });
  const changes: StatusChange[] = nodes
    .filter((n) => state.expected[n.publicKey] !== expected[n.publicKey])
    .map((n) => ({ publicKey: n.publicKey, name: n.name, from: state.expected[n.publicKey] ?? 'unknown', to: expected[n.publicKey]! }));
  return { ...state, now: new Date(to).toISOString(), nodes, packets, expected, rngState: rng.state(), added, changes, events };
}
