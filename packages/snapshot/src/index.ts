/**
 * @mbcap/snapshot: the multi-byte capability snapshot, the handoff from the read-only
 * server to the ingestor, built on @mbcap/handoff (which says how the file is written,
 * read and verified; see its README).
 *
 *     <dir of db>/mesh.db
 *     <dir of db>/mbcap-snapshot/snapshot.json
 *
 *     {"version":1,"seq":42,"writtenAt":"2026-11-21T23:00:00.000Z",
 *      "entries":[{"public_key":"aa11…","status":"confirmed","evidence":"advert"}],
 *      "checksum":"sha256:…","signature":"hmac-sha256:…"}
 *
 * One entry per node: `public_key` (2 to 64 hex digits, as the database stores it),
 * `status` (confirmed, suspected, unknown) and, for the first two, `evidence` (advert,
 * path); the Go writer omits an empty evidence. In the database a status is the
 * `multibyte_sup` column: 0 unknown, 1 suspected, 2 confirmed (status.ts, both ways).
 * Entries are packed as key + one code byte (codec.ts), 3 × status + evidence; which of
 * two entries of one key is stronger is the ingestor's apply rule (entryRank).
 */

// The capability: statuses, evidence, and their multibyte_sup values
export { MULTIBYTE_STATUSES, MULTIBYTE_EVIDENCE, MULTIBYTE_SUP, STATUS_OF_SUP, statusOfSup } from './status.js';
export type { MultibyteStatus, MultibyteEvidence } from './status.js';

// One entry, and its packed form
export { mbcapEntrySchema } from './entry.js';
export type { MbcapEntry } from './entry.js';
export { mbcapCodec, mbcapCode, mbcapParts } from './codec.js';
export { REFUSAL_CODES } from './refusals.js';
export type { RefusalCode } from './refusals.js';

// The file beside the database
export { QUEUE_DIR_NAME, SNAPSHOT_FILE_NAME, mbcapHandoff, queueDir, snapshotPath, writeSnapshot, readSnapshot, createSnapshotConsumer } from './snapshot.js';
