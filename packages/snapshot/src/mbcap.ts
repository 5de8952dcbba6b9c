import type { ConsumerOptions } from './consumer.js';
import { defineHandoff } from './handoff.js';
import { mbcapCodec } from './mbcap-codec.js';
import { QUEUE_DIR_NAME, SNAPSHOT_FILE_NAME } from './paths.js';
import { isPlainMbcapEntry, mbcapEntrySchema, type MbcapEntry } from './schema.js';
import type { ReadOptions } from './read.js';
import type { SnapshotInput, WriteOptions } from './write.js';

/** The multi-byte capability handoff: `<dir of db>/mbcap-snapshot/snapshot.json`. */
export const mbcapHandoff = defineHandoff<MbcapEntry>({
  dirName: QUEUE_DIR_NAME,
  fileName: SNAPSHOT_FILE_NAME,
  entry: mbcapEntrySchema,
  isPlainEntry: isPlainMbcapEntry,
  codec: mbcapCodec,
});

/** Atomically and durably replaces the snapshot beside `dbPath`. */
export function writeSnapshot(dbPath: string, input: SnapshotInput<MbcapEntry>, options?: WriteOptions) {
  return mbcapHandoff.write(dbPath, input, options);
}

/** Reads, verifies and validates the snapshot beside `dbPath`; throws SnapshotError. */
export function readSnapshot(dbPath: string, options?: ReadOptions) {
  return mbcapHandoff.read(dbPath, options);
}

/** Calls `options.handler` for each new snapshot beside `dbPath` (watch, poll and cron). */
export function createSnapshotConsumer(dbPath: string, options: ConsumerOptions<MbcapEntry>) {
  return mbcapHandoff.createConsumer(dbPath, options);
}
