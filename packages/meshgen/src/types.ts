// The shapes the generator hands out: nodes, packets (with what was encoded) and the state
// nextTraffic() continues from.

import type { AdvertInput } from '@mbcap/meshcore';
import type { MultibyteStatus } from '@mbcap/snapshot';

/** The capability a node is planted with: the snapshot's status. */
export type CapabilityStatus = MultibyteStatus;

export type NodeRole = 'companion' | 'repeater' | 'room' | 'sensor';

/**
 * How a node is heard:
 * - live: adverts and traffic inside the analysis window;
 * - relay-only: its adverts are all older than the window, but it relays inside it;
 * - silent: heard only before the window.
 */
export type Activity = 'live' | 'relay-only' | 'silent';

export type GeneratedNode = {
  /** 64 lowercase hex characters; 2- and 3-byte prefixes are unique in the mesh. */
  publicKey: string;
  /** Unique in the mesh; at most 32 bytes of UTF-8. */
  name: string;
  role: NodeRole;
  /** Degrees with 6 decimals (what an advert can carry), or null when it shares no location. */
  lat: number | null;
  lon: number | null;
  /** Path hash size of what it originates (its adverts, its messages). */
  hashSize: 1 | 2 | 3;
  /** Firmware that relays multi-byte paths (always true when hashSize ≥ 2). Only repeaters and rooms relay. */
  multibyteRelay: boolean;
  activity: Activity;
  /** Belongs in inactive_nodes rather than nodes. */
  inactive: boolean;
  /** The status the generator planted; `expected` (computed from the packets) must agree. */
  planned: CapabilityStatus;
};

/** What encodePacket() was given, with the payload as lowercase hex. */
export type EncodedPacket = {
  routeType: number;
  payloadType: number;
  payloadVersion: number;
  transportCodes: [number, number] | null;
  hashSize: 1 | 2 | 3;
  /** Lowercase hex, `hashSize` bytes each; SNR values for TRACE. */
  hops: string[];
  payload: string;
};

export type GeneratedPacket = {
  /** Lowercase hex of the whole packet. */
  raw_hex: string;
  /** ISO 8601 with milliseconds and Z. */
  first_seen: string;
  /** 16 hex characters, unique in the mesh (see packetHash). */
  hash: string;
  encoded: EncodedPacket;
  /** The ADVERT payload's fields, for adverts only. */
  advert: (AdvertInput & { signature: string }) | null;
  /** Public key of the node that originated it. */
  origin: string;
};

export type MeshState = {
  seed: number;
  /** The end of the generated time span, ISO 8601. */
  now: string;
  /** The analysis window the statuses are computed over (default 7 days). */
  windowMs: number;
  nodes: GeneratedNode[];
  /** Every packet so far, oldest first. */
  packets: GeneratedPacket[];
  /** Lowercase public key → status under the capability rules, over `windowMs` back from `now`. */
  expected: Record<string, CapabilityStatus>;
  /** PRNG state to continue from. */
  rngState: number;
};

export type StatusChange = { publicKey: string; name: string; from: CapabilityStatus; to: CapabilityStatus };

export type TrafficStep = MeshState & {
  /** The packets this step added, oldest first. */
  added: GeneratedPacket[];
  /** Nodes whose expected status differs from the previous state's. */
  changes: StatusChange[];
  /** What the step planted on purpose, in words. */
  events: string[];
};
