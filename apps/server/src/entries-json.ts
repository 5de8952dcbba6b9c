// The computed entries as the API serves them (/api/multibyte-capability): one UTF-8 JSON
// array, made once per publish in the publish thread, with where each entry starts, so a
// page of entries is a slice of these bytes, never a new serialisation.
//
// Field names: snake_case like the rest of /api. `maxHashSize` and `lastSeen` stay as they
// were (and as the upstream MultiByteCapEntry names them), with `max_hash_size` and
// `last_seen` beside them; `evidence` is "" for unknown, as upstream gives it.
import type { CapabilityEntry } from './capability.js';

export type EntriesJson = {
  /** `[e0,e1,…]` */
  bytes: Uint8Array;
  /** Byte offset of each entry's `{`, then one past the last entry's `}`. */
  offsets: Uint32Array;
};

export function encodeEntries(entries: readonly CapabilityEntry[]): EntriesJson {
  const texts = entries.map((e) =>
    JSON.stringify({
      public_key: e.public_key,
      name: e.name,
      role: e.role,
      status: e.status,
      evidence: e.evidence ?? '',
      maxHashSize: e.maxHashSize,
      max_hash_size: e.maxHashSize,
      lastSeen: e.lastSeen,
      last_seen: e.lastSeen,
      table: e.table,
    }),
  );
  const offsets = new Uint32Array(texts.length + 1);
  let at = 1;
  for (let i = 0; i < texts.length; i++) {
    offsets[i] = at;
    at += Buffer.byteLength(texts[i]!) + 1;
  }
  offsets[texts.length] = texts.length === 0 ? 1 : at - 1;
  return { bytes: new TextEncoder().encode(`[${texts.join(',')}]`), offsets };
}

/** Entries `from` to `to` (exclusive) as a JSON array, in parts that share the bytes. */
export function entriesSlice(json: EntriesJson, from: number, to: number): Uint8Array[] {
  if (to <= from) return [Buffer.from('[]')];
  const { bytes, offsets } = json;
  const end = to === offsets.length - 1 ? offsets[to]! : offsets[to]! - 1;
  return [Buffer.from('['), bytes.subarray(offsets[from]!, end), Buffer.from(']')];
}
