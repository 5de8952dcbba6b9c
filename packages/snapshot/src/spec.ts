import type { z } from 'zod';
import type { HandoffLocation } from './paths.js';

/** Where a codec puts what it matched: a table, or nothing when only checking. */
export type SpanSink = { pushSpan(start: number, end: number, code: number): void };

/**
 * Packs entries as a key and a small code, so large snapshots are read without an object
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

/**
 * A handoff: a directory beside the database, a file name in it, and the schema of one
 * entry. The envelope (version, seq, writtenAt, entries, checksum, signature) is shared.
 */
export type HandoffSpec<Entry> = HandoffLocation & {
  /** Validates one entry; its output is what readers get and what writers write. */
  entry: z.ZodType<Entry>;
  /** Optional fast path for the common entry that is already in canonical form. */
  isPlainEntry?: (value: unknown) => value is Entry;
  /** Optional packed form: readers then keep a table instead of an object per entry. */
  codec?: EntryCodec<Entry>;
};

export const FORMAT_VERSION = 1;
