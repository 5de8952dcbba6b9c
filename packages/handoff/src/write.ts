// Writing a handoff file: the caller's entries serialised once, at the call; then, in the
// file's lane (latest wins, lane.ts), the directory checked, the seq chosen, the document
// built and put in place by one durable replace (durable.ts).
import { constants, fsync, ftruncateSync } from 'node:fs';
import { mkdir, open } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { promisify } from 'node:util';
import { handoffDirProblem } from './dir-check.js';
import { replaceFile, sweepTemps, writeAllSync } from './durable.js';
import { SnapshotError } from './errors.js';
import { checkHmacKey, trailerFor, type HmacKey } from './integrity.js';
import { enqueue, type LaneState } from './lane.js';
import { EARLY_FLUSH_BYTES, ensureChecked, serializeEntries, type SerializedEntries } from './serialize.js';
import { FORMAT_VERSION, type HandoffSpec } from './spec.js';
import { parseRfc3339 } from './time.js';

export type WriteOptions = {
  /** Sign the document with HMAC-SHA256 under this key. */
  hmacKey?: HmacKey;
  /** File mode of the handoff file (default 0o644), applied whatever the umask. */
  mode?: number;
  /**
   * The seq written is above this one too (default 0): for example the last seq the
   * reader applied, so a publisher whose file was deleted or replaced by garbage does
   * not start again at 1.
   */
  minSeq?: number;
};

export type SnapshotInput<Entry> = {
  /** Defaults to now. A Date or an RFC 3339 string. */
  writtenAt?: Date | string;
  entries: readonly Entry[];
};

export type WriteResult = {
  path: string;
  seq: number;
  writtenAt: string;
  entries: number;
  bytes: number;
  /** sha256 of the whole file, as readers report it. */
  contentHash: string;
  /** The checksum the file's integrity trailer names (FileIdentity.checksum): the file at the path is this write's while its identity names it. */
  checksum: string;
  signed: boolean;
  /** True when a newer write from this process replaced this one before it reached disk. */
  coalesced: boolean;
};

const fsyncAsync = promisify(fsync);

type Job = SerializedEntries<unknown> & { writtenAt: string; hmacKey: HmacKey | undefined; mode: number; minSeq: number };

/** Latest-wins, atomic and durable replace of the handoff file at `path`. */
export function writeHandoff<Entry>(spec: HandoffSpec<Entry>, path: string, input: SnapshotInput<Entry>, options: WriteOptions = {}): Promise<WriteResult> {
  let job: Job;
  try {
    job = prepare(spec, input, options);
  } catch (error) {
    return Promise.reject(error);
  }
  return enqueue<Job, Omit<WriteResult, 'coalesced'>>(path, job, { write: (job, lane) => writeOnce(path, lane, job), check: ensureChecked });
}

/** The options checked and the entries serialised, at the call. */
function prepare<Entry>(spec: HandoffSpec<Entry>, input: SnapshotInput<Entry>, options: WriteOptions): Job {
  // Validate arguments
  if (typeof input !== 'object' || input === null || !Array.isArray(input.entries)) {
    throw new TypeError('Expected the snapshot to be an object with an "entries" array');
  }
  let writtenAt: string;
  if (input.writtenAt === undefined) writtenAt = new Date().toISOString();
  else if (input.writtenAt instanceof Date && !Number.isNaN(input.writtenAt.getTime())) writtenAt = input.writtenAt.toISOString();
  else if (typeof input.writtenAt === 'string' && parseRfc3339(input.writtenAt) !== null) writtenAt = input.writtenAt;
  else throw new TypeError('Expected "writtenAt" to be a valid Date or an RFC 3339 string');
  const mode = options.mode ?? 0o644;
  if (!Number.isInteger(mode) || mode < 0 || mode > 0o777) throw new RangeError('Expected the "mode" option to be a file mode between 0 and 0o777');
  const hmacKey = checkHmacKey(options.hmacKey);
  const minSeq = options.minSeq ?? 0;
  if (!Number.isSafeInteger(minSeq) || minSeq < 0) throw new RangeError('Expected the "minSeq" option to be a non-negative integer');

  return { spec: spec as HandoffSpec<unknown>, ...serializeEntries(spec as HandoffSpec<unknown>, input.entries), writtenAt, hmacKey, mode, minSeq };
}

/** One write, top to bottom. */
async function writeOnce(path: string, lane: LaneState, job: Job): Promise<Omit<WriteResult, 'coalesced'>> {
  // The entries: valid and canonical, or the write is refused before anything is touched
  // (a large document is checked while it is flushed, below)
  if (job.entries.length < EARLY_FLUSH_BYTES) ensureChecked(job);

  // The directory: made if missing, refused if unsafe, cleared of dead writers' temp files
  const dir = dirname(path);
  await mkdir(dir, { recursive: true, mode: 0o755 });
  const unsafe = handoffDirProblem(dir);
  if (unsafe) throw new SnapshotError('UNSAFE_DIRECTORY', path, `refusing to write ${path}: ${unsafe}`);
  await sweepTemps(dir, basename(path));

  // Sequence: one more than the file on disk, this process's last write and the caller's floor
  const seq = Math.max(await seqOnDisk(path), lane.lastSeq, job.minSeq) + 1;

  // The document: its head, the entries serialised at the call, and the integrity trailer
  // in place of the closing brace; put in place atomically and durably
  const head = Buffer.from(`{"version":${FORMAT_VERSION},"seq":${seq},"writtenAt":${JSON.stringify(job.writtenAt)},"entries":`, 'utf8');
  let trailer!: Trailer;
  await replaceFile(path, job.mode, async (fd) => {
    trailer = await writeDocument(fd, head, job);
  });
  lane.lastSeq = seq;

  return {
    path,
    seq,
    writtenAt: job.writtenAt,
    entries: job.count,
    bytes: head.length + job.entries.length + trailer.bytes.length,
    contentHash: trailer.contentHash,
    checksum: trailer.checksum,
    signed: job.hmacKey !== undefined,
  };
}

type Trailer = ReturnType<typeof trailerFor>;

/**
 * Head, entries, trailer, into the temp file. A document not yet checked (a large one) is
 * checked and hashed while its bulk is flushed: the fsync runs on the thread pool, the
 * check and the hash here, and the durable replace's own fsync then has only the trailer
 * left. Copying into the page cache is done here too: for a large buffer it takes a few ms
 * on this thread, several times that through the thread pool.
 */
async function writeDocument(fd: number, head: Buffer, job: Job): Promise<Trailer> {
  writeAllSync(fd, head, 0);
  writeAllSync(fd, job.entries, head.length);
  if (job.checked) return writeTrailer(fd, head, job, trailerFor([head, job.entries], job.hmacKey));

  const written = job.entries;
  const flushed = fsyncAsync(fd);
  try {
    ensureChecked(job);
  } catch (error) {
    await flushed.catch(() => {});
    throw error;
  }
  const trailer = job.entries === written ? trailerFor([head, written], job.hmacKey) : null;
  await flushed;
  if (trailer) return writeTrailer(fd, head, job, trailer);
  // Valid, but not all in canonical form: written again, canonical
  ftruncateSync(fd, head.length);
  writeAllSync(fd, job.entries, head.length);
  return writeTrailer(fd, head, job, trailerFor([head, job.entries], job.hmacKey));
}

function writeTrailer(fd: number, head: Buffer, job: Job, trailer: Trailer): Trailer {
  writeAllSync(fd, trailer.bytes, head.length + job.entries.length);
  return trailer;
}

/** The `seq` of the file on disk (0 when there is none): our writer puts it in the first bytes. */
async function seqOnDisk(path: string): Promise<number> {
  let handle;
  try {
    // O_NONBLOCK: a FIFO put in its place must not block the write forever
    handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch {
    return 0;
  }
  try {
    const head = Buffer.alloc(128);
    const { bytesRead } = await handle.read(head, 0, head.length, 0);
    const m = /^\{"version":\d+,"seq":(\d{1,15}),/.exec(head.toString('latin1', 0, bytesRead));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  } finally {
    await handle.close();
  }
}
