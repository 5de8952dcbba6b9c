import { createConsumer, type Consumer, type ConsumerOptions } from './consumer.js';
import type { SnapshotError } from './errors.js';
import { statIdentitySync, type FileIdentity } from './identity.js';
import { ensureHandoffDir, handoffDir, handoffPath } from './paths.js';
import { readHandoff, type ReadOptions, type ReadResult } from './read.js';
import { keepRejected, type KeepRejectedOptions } from './rejected.js';
import type { HandoffSpec } from './spec.js';
import { writeHandoff, type SnapshotInput, type WriteOptions, type WriteResult } from './write.js';

/** Every operation of one handoff, addressed by the path of the database it sits beside. */
export type Handoff<Entry> = {
  readonly spec: HandoffSpec<Entry>;
  /** `<dir of db>/<dirName>` */
  dir(dbPath: string): string;
  /** `<dir of db>/<dirName>/<fileName>` */
  path(dbPath: string): string;
  /** Creates the directory (and its parents) if missing; returns its path. */
  ensureDir(dbPath: string): Promise<string>;
  /** Replaces the file, atomically and durably; the newest of overlapping writes wins. */
  write(dbPath: string, input: SnapshotInput<Entry>, options?: WriteOptions): Promise<WriteResult>;
  /** Reads, verifies and validates the file; throws SnapshotError. */
  read(dbPath: string, options?: ReadOptions): Promise<ReadResult<Entry>>;
  /** What lies at the file's place now, from one fstat and its last bytes (null: nothing). */
  identity(dbPath: string): FileIdentity | null;
  /** Keeps a copy of a refused file in `<dirName>/rejected/`; returns its path. */
  keepRejected(dbPath: string, error: SnapshotError, options?: KeepRejectedOptions): Promise<string | null>;
  /** Calls `options.handler` once for each new file (watch, poll and cron). */
  createConsumer(dbPath: string, options: ConsumerOptions<Entry>): Consumer;
};

/** A handoff from its definition: where it lies, and the schema (and codec) of one entry. */
export function defineHandoff<Entry>(spec: HandoffSpec<Entry>): Handoff<Entry> {
  // Validate the definition
  for (const key of ['dirName', 'fileName'] as const) {
    const value = spec?.[key];
    if (typeof value !== 'string' || value === '' || value.startsWith('.') || /[/\\]/.test(value)) {
      throw new TypeError(`Expected "${key}" to be a plain file name (no slash, not starting with a dot), got ${JSON.stringify(value)}`);
    }
  }
  if (typeof spec.entry?.safeParse !== 'function') throw new TypeError('Expected "entry" to be a zod schema');

  return {
    spec,
    dir: (dbPath) => handoffDir(dbPath, spec),
    path: (dbPath) => handoffPath(dbPath, spec),
    ensureDir: (dbPath) => ensureHandoffDir(dbPath, spec),
    write: (dbPath, input, options) => writeHandoff(spec, handoffPath(dbPath, spec), input, options),
    read: (dbPath, options) => readHandoff(spec, handoffPath(dbPath, spec), options),
    identity: (dbPath) => statIdentitySync(handoffPath(dbPath, spec)),
    keepRejected: (dbPath, error, options) => keepRejected(handoffDir(dbPath, spec), error, options),
    createConsumer: (dbPath, options) => createConsumer(spec, handoffPath(dbPath, spec), options),
  };
}
