import { isUtf8 } from 'node:buffer';
import { closeSync, constants, fstatSync, openSync, readSync, type BigIntStats } from 'node:fs';
import { dirname } from 'node:path';
import { handoffDirProblem } from './dir-check.js';
import { SnapshotError } from './errors.js';
import { identityOf, type FileIdentity } from './identity.js';
import { checkHmacKey, digestFile, findTrailer, signatureMatches, type HmacKey } from './integrity.js';
import { envelopeSchema } from './envelope.js';
import { EntrySink } from './packed/entry-sink.js';
import { parseDocument, type ParsedDocument } from './packed/parse.js';
import type { EntryTable } from './packed/table.js';
import { FORMAT_VERSION, type HandoffSpec } from './spec.js';
import { parseRfc3339 } from './time.js';

export const DEFAULT_MAX_BYTES = 256 * 1024 * 1024;

export type ReadOptions = {
  /** Refuse files larger than this many bytes (default 256 MiB). */
  maxBytes?: number;
  /** Require a valid HMAC-SHA256 signature made with this key. */
  hmacKey?: HmacKey;
};

export type Snapshot<Entry> = {
  /** Format version; null for files written by the upstream Go writer. */
  version: number | null;
  /** Publish sequence number; null for files that carry none. */
  seq: number | null;
  writtenAt: string;
  writtenAtMs: number;
  /** How many valid entries the snapshot holds. */
  count: number;
  /** The entries, in file order (built on first use when the handoff packs them). */
  readonly entries: Entry[];
  /** The entries packed, when the handoff has a codec: no object per entry. */
  table: EntryTable | null;
};

export type ReadResult<Entry> = {
  snapshot: Snapshot<Entry>;
  path: string;
  /** sha256 of the whole file: equal hashes, equal snapshots. */
  contentHash: string;
  identity: FileIdentity;
  size: number;
  /** Entries dropped because they did not validate, and why (the first few). */
  invalid: number;
  invalidSamples: { index: number; reason: string }[];
  checksum: 'verified' | 'absent';
  signature: 'verified' | 'absent' | 'not-checked';
};

function checkMaxBytes(value: unknown): number {
  if (value === undefined) return DEFAULT_MAX_BYTES;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
    throw new TypeError('Expected the "maxBytes" option to be a positive integer');
  }
  return value;
}

/**
 * Reads the file at `path` whole, refusing anything but a regular file within the cap.
 * Synchronous on purpose: parsing and applying what is read are synchronous too, and a
 * read that yields between its steps only lets unrelated work (a garbage collection, a
 * timer) stretch the time from publish to commit.
 */
function readRegularFile(path: string, maxBytes: number): { bytes: Buffer; stats: BigIntStats } {
  let fd: number;
  try {
    // O_NOFOLLOW refuses a symlink, O_NONBLOCK keeps a FIFO from blocking the open.
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new SnapshotError('NOT_FOUND', path, `no snapshot at ${path} yet`, { cause: error });
    if (code === 'ELOOP') throw new SnapshotError('NOT_REGULAR_FILE', path, `${path} is a symbolic link, not a snapshot file; remove it`, { cause: error });
    // A socket cannot be opened at all (nor a device with no driver behind it)
    if (code === 'ENXIO')
      throw new SnapshotError('NOT_REGULAR_FILE', path, `${path} is a socket or a device, not a snapshot file; remove it`, { cause: error });
    throw error;
  }
  try {
    const stats = fstatSync(fd, { bigint: true });
    if (!stats.isFile()) {
      const kind = stats.isDirectory() ? 'a directory' : stats.isFIFO() ? 'a FIFO' : stats.isSocket() ? 'a socket' : 'not a regular file';
      throw new SnapshotError('NOT_REGULAR_FILE', path, `${path} is ${kind}, not a snapshot file; remove it`);
    }
    const size = Number(stats.size);
    if (size > maxBytes) {
      throw new SnapshotError('TOO_LARGE', path, `${path} is ${size} bytes, above the ${maxBytes}-byte limit; refusing to read it`);
    }
    // The file is never written in place (writers rename whole files over it), so the
    // size read now is the size of the content.
    const bytes = Buffer.allocUnsafe(size);
    let filled = 0;
    while (filled < size) {
      const bytesRead = readSync(fd, bytes, filled, size - filled, filled);
      if (bytesRead === 0) break;
      filled += bytesRead;
    }
    return { bytes: filled === size ? bytes : bytes.subarray(0, filled), stats };
  } finally {
    closeSync(fd);
  }
}

const BOM = [0xef, 0xbb, 0xbf];

/** Reads, verifies and validates one handoff file. Throws SnapshotError when it is unusable. */
export async function readHandoff<Entry>(spec: HandoffSpec<Entry>, path: string, options: ReadOptions = {}): Promise<ReadResult<Entry>> {
  // Validate options
  const maxBytes = checkMaxBytes(options.maxBytes);
  const hmacKey = checkHmacKey(options.hmacKey);

  // The directory first: never read through a link put in its place
  const dirProblem = handoffDirProblem(dirname(path));
  if (dirProblem) throw new SnapshotError('UNSAFE_DIRECTORY', path, `refusing to read ${path}: ${dirProblem}`);

  const { bytes, stats } = readRegularFile(path, maxBytes);
  const size = bytes.length;
  const file = { mode: Number(stats.mode), nlink: Number(stats.nlink) };
  const fail = (
    code: 'MALFORMED' | 'INVALID_SCHEMA' | 'UNSUPPORTED_VERSION' | 'CHECKSUM_MISMATCH' | 'BAD_SIGNATURE' | 'UNSIGNED',
    message: string,
    cause?: unknown,
  ) => new SnapshotError(code, path, message, { cause, bytes, file });

  // Verify integrity over the raw bytes, before trusting any of them
  const trailer = findTrailer(bytes);
  const { contentHash, coveredHash } = digestFile(bytes, trailer?.coveredLength ?? null);
  if (trailer && coveredHash !== trailer.checksum) {
    throw fail(
      'CHECKSUM_MISMATCH',
      `${path}: checksum mismatch (the file says sha256:${trailer.checksum.slice(0, 12)}…, its bytes hash to sha256:${coveredHash!.slice(0, 12)}…); it was altered or damaged after it was written`,
    );
  }
  let signature: ReadResult<Entry>['signature'] = 'absent';
  if (trailer?.signature) {
    signature = 'not-checked';
    if (hmacKey !== undefined) {
      if (!signatureMatches(bytes.subarray(0, trailer.coveredLength), hmacKey, trailer.signature)) {
        throw fail('BAD_SIGNATURE', `${path}: bad signature: it was not signed with the configured HMAC key (forged, or the publisher uses another key)`);
      }
      signature = 'verified';
    }
  } else if (hmacKey !== undefined) {
    throw fail(
      'UNSIGNED',
      `${path}: unsigned snapshot refused: a signing key is configured, so only snapshots signed with it are accepted (give the publisher the same key)`,
    );
  }

  // Parse: from the bytes, entry by entry, or (for an irregular document) whole
  if (!isUtf8(bytes)) throw fail('MALFORMED', `${path}: malformed snapshot (not valid UTF-8)`);
  const start = BOM.every((b, i) => bytes[i] === b) ? BOM.length : 0;
  let parsed: ParsedDocument<Entry> | null = parseDocument(bytes, start, spec);
  let document: unknown = parsed?.envelope;
  if (!parsed) {
    try {
      document = JSON.parse(bytes.toString('utf8', start));
    } catch (error) {
      throw fail('MALFORMED', `${path}: malformed snapshot (${(error as Error).message})`, error);
    }
  }
  if (typeof document !== 'object' || document === null || Array.isArray(document)) {
    throw fail(
      'INVALID_SCHEMA',
      `${path}: invalid snapshot: expected a JSON object with "writtenAt" and "entries", found ${Array.isArray(document) ? 'an array' : document === null ? 'null' : typeof document}`,
    );
  }
  const version = (document as { version?: unknown }).version;
  if (version !== undefined && version !== FORMAT_VERSION) {
    throw fail(
      'UNSUPPORTED_VERSION',
      `${path}: snapshot format version ${JSON.stringify(version)} is not supported (this reader knows version ${FORMAT_VERSION}); upgrade the reader`,
    );
  }
  const envelope = envelopeSchema.safeParse(document);
  if (!envelope.success) {
    const issue = envelope.error.issues[0]!;
    const where = issue.path.length ? issue.path.join('.') : 'document';
    throw fail('INVALID_SCHEMA', `${path}: invalid snapshot: ${where}: ${issue.message}`, envelope.error);
  }
  if (!trailer && (envelope.data.checksum !== undefined || envelope.data.signature !== undefined)) {
    throw fail(
      'CHECKSUM_MISMATCH',
      `${path}: the checksum or signature is not where the writer puts it; the file was edited or re-serialised after it was written`,
    );
  }

  // Entries of a document parsed whole: validated one by one, a bad one dropped and counted
  if (!parsed) {
    const sink = new EntrySink(spec, bytes);
    for (const value of envelope.data.entries) sink.add(value);
    parsed = { envelope: {}, ...sink.outcome() };
  }
  const { entries, table, invalid, invalidSamples } = parsed;

  return {
    snapshot: withEntries(
      {
        version: version === undefined ? null : FORMAT_VERSION,
        seq: envelope.data.seq ?? null,
        writtenAt: envelope.data.writtenAt,
        writtenAtMs: parseRfc3339(envelope.data.writtenAt)!,
      },
      spec,
      entries,
      table,
    ),
    path,
    contentHash,
    identity: identityOf(stats, trailer?.checksum ?? null),
    size,
    invalid,
    invalidSamples,
    checksum: trailer ? 'verified' : 'absent',
    signature,
  };
}

/** The snapshot with its entries: as given, or packed with objects built on first use. */
function withEntries<Entry>(
  head: Omit<Snapshot<Entry>, 'count' | 'entries' | 'table'>,
  spec: HandoffSpec<Entry>,
  entries: Entry[] | null,
  table: EntryTable | null,
): Snapshot<Entry> {
  if (!table) return { ...head, count: entries!.length, entries: entries!, table: null };
  const codec = spec.codec!;
  let built: Entry[] | null = null;
  return Object.defineProperty({ ...head, count: table.length, table }, 'entries', {
    enumerable: true,
    get: () => (built ??= Array.from({ length: table.length }, (_, i) => codec.entry(table.keyAt(i), table.codeAt(i)))),
  }) as Snapshot<Entry>;
}
