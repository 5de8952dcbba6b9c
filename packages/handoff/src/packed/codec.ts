/** Where a codec puts what it matched: a table, or nothing when only checking. */
export type SpanSink = { pushSpan(start: number, end: number, code: number): void };

/**
 * Packs entries as a key and a small code, so large documents are read without an object
 * per entry. `match` recognises one entry in the exact bytes JSON.stringify gives for a
 * canonical entry; everything else is parsed and validated the general way, then packed.
 */
export type EntryCodec<Entry> = {
  /**
   * Recognises the canonical entry at bytes[at], gives its key's span and code to `sink`
   * and returns the offset after it, or -1. `view` is a DataView over the same bytes,
   * made once per buffer by the caller.
   */
  match(bytes: Uint8Array, view: DataView<ArrayBufferLike>, at: number, sink: SpanSink): number;
  /** The entry's key (ASCII). */
  key(entry: Entry): string;
  /** The rest of the entry as a number from 0 to 255. */
  code(entry: Entry): number;
  /** The entry back from its key and code. */
  entry(key: string, code: number): Entry;
};
