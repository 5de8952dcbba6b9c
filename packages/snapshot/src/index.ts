/**
 * @mbcap/snapshot: hand a computed result from a read-only process to the process that
 * owns the database, through one file beside the database.
 *
 * On disk
 *
 *     <dir of db>/mesh.db
 *     <dir of db>/mbcap-snapshot/snapshot.json                   the snapshot; replaced whole, never edited
 *     <dir of db>/mbcap-snapshot/.snapshot.json.<pid>.<thread>.<n>.tmp   a write in progress
 *     <dir of db>/mbcap-snapshot/rejected/<time>-<code>-<hash>.json     copies of refused files, newest 10
 *
 * The document (version 1), one line of JSON:
 *
 *     {"version":1,"seq":42,"writtenAt":"2026-11-21T23:00:00.000Z",
 *      "entries":[{"public_key":"aa11…","status":"confirmed","evidence":"advert"}],
 *      "checksum":"sha256:<hex>","signature":"hmac-sha256:<hex>"}
 *
 * `checksum` is the sha256 of every byte before `,"checksum"`, as it lies on disk;
 * `signature` (only with a key) is the HMAC-SHA256 of the same bytes. Readers verify both
 * over the raw bytes, never over a re-serialised document. Both are optional on read, as
 * are `version` and `seq`, so files of the upstream Go writer (`writtenAt` with up to 9
 * fractional digits or a numeric offset, no `evidence`) load; and the Go reader loads ours,
 * since it ignores fields it does not know.
 *
 * Write order (`writeSnapshot`):
 *  1. create the directory if missing, refuse it if unsafe; remove temp files whose writer pid is gone
 *  2. seq = 1 + max(seq of the current file, last seq this process wrote, minSeq)
 *  3. write the document to a new temp file (unique name, O_EXCL), chmod 0644, fsync it
 *  4. rename it over `snapshot.json` (atomic within the directory), fsync the directory
 *  On failure the temp file is removed. Within a process, writes to one file never
 *  overlap and only the newest pending one is written (latest wins). Writers in several
 *  processes never fail each other or corrupt the file; the last rename wins.
 *
 * What readers may rely on: `snapshot.json`, when present, is a complete file some writer
 * fsynced before renaming; its trailer's checksum names its content, so the same
 * (device, inode, type, size, mtime, ctime) AND the same trailer checksum mean the same
 * content (the stat alone does not: inode numbers are reused at once and times may be
 * whole seconds); temp files (leading dot, `.tmp`) are never a snapshot. Neither side
 * goes through a handoff directory that is a link, or owned or moded unsafely
 * (dir-check.ts); copies of refused files are made without following links, with the
 * file's own permissions (0600 at most), and only files by the copies' name are deleted. `readSnapshot` refuses what is not a regular file, above 256 MiB, altered
 * (checksum), forged or unsigned when a key is required, not JSON, not of the schema, or of
 * an unknown version, each with its `SnapshotError` code; a single bad entry is dropped and
 * counted. A handoff with a `codec` is read from the bytes, entry by entry, into a packed
 * `EntryTable` (no JSON tree, no object per entry; `snapshot.entries` builds them on first
 * use); any irregular document is parsed whole instead, with the same outcome. `createSnapshotConsumer` watches the directory, polls as a safety net and ticks
 * on a cron schedule, runs one handler at a time, and always handles the last file of a
 * burst of publishes.
 */
export { QUEUE_DIR_NAME, SNAPSHOT_FILE_NAME, REJECTED_DIR_NAME, queueDir, snapshotPath, ensureDir, isTempName } from './paths.js';
export type { HandoffLocation } from './paths.js';
export { SnapshotError, SNAPSHOT_ERROR_CODES, isSnapshotError } from './errors.js';
export type { SnapshotErrorCode } from './errors.js';
export { MULTIBYTE_STATUSES, MULTIBYTE_EVIDENCE, mbcapEntrySchema, envelopeSchema } from './schema.js';
export type { MbcapEntry, MultibyteStatus, MultibyteEvidence } from './schema.js';
export { FORMAT_VERSION } from './spec.js';
export type { HandoffSpec, EntryCodec } from './spec.js';
export { EntryTable } from './table.js';
export { KeyIndex, PlainKeyIndex, DEFAULT_MAX_PROBE } from './key-index.js';
export type { KeyIndexOptions } from './key-index.js';
export { mbcapCodec, mbcapCode, mbcapParts } from './mbcap-codec.js';
export { DEFAULT_MAX_BYTES } from './read.js';
export type { ReadOptions, ReadResult, Snapshot } from './read.js';
export type { WriteOptions, WriteResult, SnapshotInput } from './write.js';
export type { HmacKey } from './integrity.js';
export { sameFile, sameIdentity, statIdentity, statIdentitySync } from './identity.js';
export { handoffDirProblem, privateDirProblem } from './dir-check.js';
export type { FileIdentity } from './identity.js';
export { parseRfc3339 } from './time.js';
export { keepRejected } from './rejected.js';
export type { KeepRejectedOptions } from './rejected.js';
export type { Consumer, ConsumerEvent, ConsumerOptions, TriggerReason } from './consumer.js';
export { defineHandoff } from './handoff.js';
export type { Handoff } from './handoff.js';
export { mbcapHandoff, writeSnapshot, readSnapshot, createSnapshotConsumer } from './mbcap.js';
