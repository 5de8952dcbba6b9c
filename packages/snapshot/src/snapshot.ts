import { defineHandoff, type ConsumerOptions, type ReadOptions, type SnapshotInput, type WriteOptions } from '@mbcap/handoff';
import { mbcapCodec } from './codec.js';
import { isPlainMbcapEntry, mbcapEntrySchema, type MbcapEntry } from './entry.js';

/** The directory beside the database. */
export const QUEUE_DIR_NAME = 'mbcap-snapshot';
/** The file in it. */
export const SNAPSHOT_FILE_NAME = 'snapshot.json';

/** The multi-byte capability handoff: `<dir of db>/mbcap-snapshot/snapshot.json`. */
export const mbcapHandoff = defineHandoff<MbcapEntry>({
  dirName: QUEUE_DIR_NAME,
  fileName: SNAPSHOT_FILE_NAME,
  entry: mbcapEntrySchema,
  isPlainEntry: isPlainMbcapEntry,
  codec: mbcapCodec,
});

/** The directory beside the database: `<dir of db>/mbcap-snapshot`. */
export function queueDir(dbPath: string): string {
  return mbcapHandoff.dir(dbPath);
}

/** The snapshot file: `<dir of db>/mbcap-snapshot/snapshot.json`. */
export function snapshotPath(dbPath: string): string {
  return mbcapHandoff.path(dbPath);
}

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
