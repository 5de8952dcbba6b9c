/**
 * @mbcap/handoff/packed: entries kept packed instead of as objects, for handoffs of
 * millions of entries.
 *
 * A handoff whose definition has a `codec` is read straight from the file's bytes: each
 * entry in the exact form the writer gives it is recognised in place by `codec.match` and
 * kept as where its key lies in the file plus one code byte (an `EntryTable`, 9 bytes per
 * entry). Any other entry is parsed and validated on its own and packed from its object.
 * `KeyIndex` then finds entries by key in time no input can stretch (keyed hash, bounded
 * probes, sorted fallback), with a rank deciding which entry of a repeated key wins.
 */
export type { EntryCodec, SpanSink } from './codec.js';
export { EntryTable, hashKey } from './table.js';
export { KeyIndex, PlainKeyIndex, DEFAULT_MAX_PROBE } from './key-index.js';
export type { KeyIndexOptions } from './key-index.js';
export { parseDocument } from './parse.js';
export type { ParsedDocument } from './parse.js';
