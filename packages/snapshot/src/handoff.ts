import { createConsumer, type Consumer, type ConsumerOptions } from './consumer.js';
import type { SnapshotError } from './errors.js';
import { ensureDir, queueDir, snapshotPath } from './paths.js';
import { readHandoff, type ReadOptions, type ReadResult } from './read.js';
import { keepRejected, type KeepRejectedOptions } from './rejected.js';
import type { HandoffSpec } from './spec.js';
import { writeHandoff, type SnapshotInput, type WriteOptions, type WriteResult } from './write.js';

/** Every operation of one handoff, addressed by the path of the database it sits beside. */
export type Handoff<Entry> = {
  readonly spec: HandoffSpec<Entry>;
  queueDir(dbPath: string): string;
  snapshotPath(dbPath: string): string;
  ensureDir(dbPath: string): Promise<string>;
  write(dbPath: string, input: SnapshotInput<Entry>, options?: WriteOptions): Promise<WriteResult>;
  read(dbPath: string, options?: ReadOptions): Promise<ReadResult<Entry>>;
  keepRejected(dbPath: string, error: SnapshotError, options?: KeepRejectedOptions): Promise<string | null>;
  createConsumer(dbPath: string, options: ConsumerOptions<Entry>): Consumer;
};

export function defineHandoff<Entry>(spec: HandoffSpec<Entry>): Handoff<Entry> {
  // Validate the definition
  for (const key of ['dirName', 'fileName'] as const) {
    const value = spec[key];
    if (typeof value !== 'string' || value === '' || value.startsWith('.') || /[/\\]/.test(value)) {
      throw new TypeError(`Expected "${key}" to be a plain file name (no slash, not starting with a dot), got ${JSON.stringify(value)}`);
    }
  }
  if (typeof spec.entry?.safeParse !== 'function') throw new TypeError('Expected "entry" to be a zod schema');

  return {
    spec,
    queueDir: (dbPath) => queueDir(dbPath, spec),
    snapshotPath: (dbPath) => snapshotPath(dbPath, spec),
    ensureDir: (dbPath) => ensureDir(dbPath, spec),
    write: (dbPath, input, options) => writeHandoff(spec, snapshotPath(dbPath, spec), input, options),
    read: (dbPath, options) => readHandoff(spec, snapshotPath(dbPath, spec), options),
    keepRejected: (dbPath, error, options) => keepRejected(queueDir(dbPath, spec), error, options),
    createConsumer: (dbPath, options) => createConsumer(spec, snapshotPath(dbPath, spec), options),
  };
}
