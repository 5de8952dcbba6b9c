/**
 * @mbcap/handoff: hand a file of entries from a writer process to a reader process beside
 * a database, durably, in order, and verified. A handoff is defined once, by where its
 * file lies and what one entry is; every operation then takes the database's path.
 *
 * On disk
 *
 *     <dir of db>/<dirName>/<fileName>                              the file; replaced whole, never edited
 *     <dir of db>/<dirName>/.<fileName>.<pid>.<thread>.<n>.tmp      a write in progress
 *     <dir of db>/<dirName>/rejected/<time>-<code>-<hash>.json      copies of refused files, newest 10
 *
 * The document (format version 1), one line of JSON:
 *
 *     {"version":1,"seq":42,"writtenAt":"2026-11-21T23:00:00.000Z","entries":[…],
 *      "checksum":"sha256:<hex>","signature":"hmac-sha256:<hex>"}
 *
 * `checksum` is the sha256 of every byte before `,"checksum"`, as it lies on disk;
 * `signature` (only with a key) is the HMAC-SHA256 of the same bytes. Readers verify both
 * over the raw bytes, never over a re-serialised document. `version`, `seq`, `checksum`
 * and `signature` are optional on read (`writtenAt` with up to 9 fractional digits or a
 * numeric offset, `entries: null`), so files of a plain JSON writer load too.
 *
 * Write order (`handoff.write`, write.ts):
 *  1. the entries are serialised at the call and checked against the entry schema (from
 *     1 MiB on, while they are flushed in step 4); an invalid one refuses the write,
 *     naming its index, and the file is left as it was
 *  2. the directory is made if missing and refused if unsafe; temp files whose writer pid
 *     is gone are removed
 *  3. seq = 1 + max(seq of the file on disk, this writer's last seq, `minSeq`)
 *  4. the durable replace (durable.ts): a new temp file (unique name, O_EXCL), the whole
 *     document written, chmod, fsync, close, rename over the file, fsync the directory;
 *     on any failure the temp file is removed
 * Within a process, writes to one file never overlap and only the newest pending one is
 * written (latest wins, lane.ts). Writers in several processes never fail each other or
 * corrupt the file; the last rename wins.
 *
 * What a reader may rely on: the file, when present, is a complete document some writer
 * fsynced before renaming it into place; temp files (leading dot, `.tmp`) are never it. Its
 * trailer's checksum names its content, so the same (device, inode, type, size, mtime,
 * ctime) AND the same trailer checksum mean the same content (the stat alone does not:
 * inode numbers are reused at once and times may be whole seconds). `handoff.read`
 * refuses what is not a regular file, above 256 MiB, altered, forged or unsigned when a key
 * is required, not JSON, not of the envelope's schema, or of an unknown version, each with
 * its `SnapshotError` code; a single invalid entry is dropped and counted. Neither side
 * goes through a handoff directory that is a link, or owned or moded unsafely
 * (dir-check.ts). `handoff.createConsumer` watches the directory, polls as a safety net
 * and ticks on a cron schedule, runs one handler at a time, and always handles the last
 * file of a burst of writes.
 *
 * A handoff of millions of entries gives a `codec` and is read packed, without an object
 * per entry: see `@mbcap/handoff/packed`.
 */

// Define a handoff; its operations (write, read, consumer, …) are its methods
export { defineHandoff } from './handoff.js';
export type { Handoff } from './handoff.js';
export type { HandoffSpec } from './spec.js';
export { FORMAT_VERSION } from './spec.js';

// Write
export type { SnapshotInput, WriteOptions, WriteResult } from './write.js';
export type { HmacKey } from './integrity.js';

// Read
export type { ReadOptions, ReadResult, Snapshot } from './read.js';
export { DEFAULT_MAX_BYTES } from './read.js';

// Consume
export type { Consumer, ConsumerEvent, ConsumerOptions, TriggerReason } from './consumer.js';

// What lies on disk
export { isTempName } from './paths.js';
export { sameIdentity } from './identity.js';
export type { FileIdentity } from './identity.js';

// Errors
export { SnapshotError, SNAPSHOT_ERROR_CODES, isSnapshotError } from './errors.js';
export type { SnapshotErrorCode } from './errors.js';
