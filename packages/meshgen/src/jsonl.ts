// The packets as JSON lines, the format `mbcap-ingestor import` reads (and the format of
// the real capture in apps/demo/data/real-packets.jsonl).

import type { GeneratedPacket } from './types.js';

export type JsonLineOptions = {
  /** Leave `hash` out, so the importer computes it. Default false. */
  omitHash?: boolean;
};

/** One line, without the newline: `{"raw_hex":…,"first_seen":…,"hash":…}`. */
export function toJsonLine(packet: Pick<GeneratedPacket, 'raw_hex' | 'first_seen' | 'hash'>, options: JsonLineOptions = {}): string {
  const { raw_hex, first_seen, hash } = packet;
  return JSON.stringify(options.omitHash ? { raw_hex, first_seen } : { raw_hex, first_seen, hash });
}

/** Every packet, one line each, each line ending in a newline. */
export function toJsonLines(packets: readonly Pick<GeneratedPacket, 'raw_hex' | 'first_seen' | 'hash'>[], options: JsonLineOptions = {}): string {
  let out = '';
  for (const packet of packets) out += `${toJsonLine(packet, options)}\n`;
  return out;
}
