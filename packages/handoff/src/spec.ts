import type { z } from 'zod';
import type { EntryCodec } from './packed/codec.js';
import type { HandoffLocation } from './paths.js';

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

/** The `version` our writer puts in every document, and the only one readers accept. */
export const FORMAT_VERSION = 1;
