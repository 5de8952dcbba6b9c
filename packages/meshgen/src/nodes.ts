// The nodes of a mesh: keys, names, places, firmware, and the status each one is planted with.

import { toHex } from '@mbcap/meshcore';
import { location, nodeName } from './names.js';
import type { Rng } from './random.js';
import type { Activity, CapabilityStatus, GeneratedNode, NodeRole } from './types.js';

type Archetype = Pick<GeneratedNode, 'role' | 'hashSize' | 'multibyteRelay' | 'activity' | 'inactive'>;

/**
 * The first nodes of every mesh, so that every role and every status, active and
 * inactive, is present whatever the seed (statuses as planted by plannedStatus).
 */
const ARCHETYPES: readonly Archetype[] = [
  { role: 'companion', hashSize: 2, multibyteRelay: true, activity: 'live', inactive: false }, // confirmed
  { role: 'repeater', hashSize: 1, multibyteRelay: true, activity: 'live', inactive: false }, // suspected
  { role: 'companion', hashSize: 1, multibyteRelay: false, activity: 'live', inactive: false }, // unknown
  { role: 'repeater', hashSize: 3, multibyteRelay: true, activity: 'live', inactive: true }, // confirmed, inactive
  { role: 'repeater', hashSize: 2, multibyteRelay: true, activity: 'relay-only', inactive: true }, // suspected, inactive
  { role: 'sensor', hashSize: 2, multibyteRelay: true, activity: 'silent', inactive: true }, // unknown (old adverts), inactive
  { role: 'room', hashSize: 1, multibyteRelay: false, activity: 'live', inactive: false }, // unknown
  { role: 'sensor', hashSize: 2, multibyteRelay: true, activity: 'live', inactive: false }, // confirmed
];

/** The fewest nodes a mesh can have: one of each archetype. */
export const MIN_NODES = ARCHETYPES.length;

/** Repeaters and room servers relay packets; companions and sensors do not. */
export function isRelay(role: NodeRole): boolean {
  return role === 'repeater' || role === 'room';
}

/**
 * The status a node's traffic is built to give it under the capability rules:
 * confirmed when it adverts with a multi-byte hash inside the window; suspected when it is
 * a relay that forwards multi-byte paths inside the window (without such an advert);
 * unknown otherwise (1-byte only, or heard only before the window).
 */
export function plannedStatus(node: Pick<GeneratedNode, 'role' | 'hashSize' | 'multibyteRelay' | 'activity'>): CapabilityStatus {
  if (node.activity === 'silent') return 'unknown';
  if (node.activity === 'live' && node.hashSize >= 2) return 'confirmed';
  if (isRelay(node.role) && node.multibyteRelay) return 'suspected';
  return 'unknown';
}

/** `count` nodes: the archetypes first, then a random mix weighted like a real mesh. */
export function createNodes(rng: Rng, count: number): GeneratedNode[] {
  const names = new Set<string>();
  const prefixes = new Set<string>();
  const nodes: GeneratedNode[] = [];
  for (let i = 0; i < count; i++) {
    const shape = i < ARCHETYPES.length ? ARCHETYPES[i]! : randomArchetype(rng);
    const place = shape.role === 'companion' && rng.chance(0.25) ? null : location(rng);
    nodes.push({
      publicKey: uniqueKey(rng, prefixes),
      name: nodeName(rng, shape.role, names),
      lat: place?.lat ?? null,
      lon: place?.lon ?? null,
      ...shape,
      planned: plannedStatus(shape),
    });
  }
  return nodes;
}

function randomArchetype(rng: Rng): Archetype {
  const role = rng.weighted<NodeRole>([
    ['companion', 45],
    ['repeater', 30],
    ['room', 10],
    ['sensor', 15],
  ]);
  const hashSize = rng.weighted<1 | 2 | 3>([
    [1, 70],
    [2, 20],
    [3, 10],
  ]);
  const multibyteRelay = hashSize >= 2 || (isRelay(role) && rng.chance(0.5));
  const activity = isRelay(role)
    ? rng.weighted<Activity>([
        ['live', 80],
        ['relay-only', 8],
        ['silent', 12],
      ])
    : rng.weighted<Activity>([
        ['live', 85],
        ['silent', 15],
      ]);
  const inactive = rng.chance(activity === 'silent' ? 0.8 : activity === 'relay-only' ? 0.6 : 0.05);
  return { role, hashSize, multibyteRelay, activity, inactive };
}

/** 32 random bytes whose 2-byte prefix (hence 3-byte too) no other node has. */
function uniqueKey(rng: Rng, prefixes: Set<string>): string {
  for (;;) {
    const key = toHex(rng.bytes(32));
    const prefix = key.slice(0, 4);
    if (prefixes.has(prefix)) continue;
    prefixes.add(prefix);
    return key;
  }
}
