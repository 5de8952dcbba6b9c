/**
 * @mbcap/meshgen: a deterministic synthetic MeshCore mesh, for tests and demos.
 *
 *   generateMesh({ seed, nodes, packets, now })   → MeshState
 *   nextTraffic(state, now, count)                 → TrafficStep (a MeshState plus what changed)
 *   toJsonLines(state.packets)                     → what `mbcap-ingestor import` reads
 *
 * A mesh has nodes of every role (companion, repeater, room, sensor) around one region,
 * with 32-byte keys whose 2- and 3-byte prefixes are unique, a firmware mix (most 1-byte
 * path hashes, some 2-byte, a few 3-byte), and traffic over a span (default 10 days) ending
 * at `now`: flood adverts (some heard before any relay, pl = 0x40 style), text and group
 * messages relayed flood and direct, ACKs, returned PATHs (flooded: relays write their
 * hashes into them), and TRACEs (type 9, sent direct) whose path bytes are SNR values.
 * A zero-hop direct packet carries path byte 0x00 whatever its sender's setting.
 * Every packet is a valid MeshCore `raw_hex` that decodePacket reads back as `encoded`.
 *
 * Each node is planted with a capability status (docs/capability.md, over `windowMs`, default
 * 7 days, back from `now`), and `expected` recomputes the statuses from the packets:
 *
 *   confirmed  a live node with a 2- or 3-byte hash: its own adverts in the window
 *   suspected  a repeater or room whose firmware relays multi-byte paths, named as a hop of
 *              a multi-byte non-TRACE packet in the window, with no multi-byte advert there
 *   unknown    1-byte nodes on old firmware, and nodes heard only before the window
 *              (multi-byte adverts older than 7 days do not count)
 *
 * Some nodes of each status are `inactive` (rows for inactive_nodes). No Math.random and
 * no clock: the same seed and options always give the same packets.
 */
export { generateMesh, DEFAULT_NOW, DEFAULT_WINDOW_MS } from './mesh.js';
export type { MeshOptions } from './mesh.js';
export { nextTraffic } from './step.js';
export type { StepOptions } from './step.js';
export { collectEvidence, expectedStatuses } from './rules.js';
export type { Evidence } from './rules.js';
export { toJsonLine, toJsonLines } from './jsonl.js';
export type { JsonLineOptions } from './jsonl.js';
export { plannedStatus, MIN_NODES } from './nodes.js';
export { createRng } from './random.js';
export type { Rng } from './random.js';
export type {
  Activity,
  CapabilityStatus,
  EncodedPacket,
  GeneratedNode,
  GeneratedPacket,
  MeshState,
  NodeRole,
  StatusChange,
  TrafficStep,
} from './types.js';
