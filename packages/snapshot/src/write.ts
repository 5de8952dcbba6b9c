import { closeSync, constants, fchmodSync, fsync, ftruncateSync, openSync } from 'node:fs';
import { mkdir, rename, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { handoffDirProblem } from './dir-check.js';
import { SnapshotError } from './errors.js';
import { fsyncDir, liveTemps, seqOnDisk, sweepTemps, writeAllSync } from './disk.js';
import { digestOffThread, type OffThreadDigest } from './digest-thread.js';
import { checkHmacKey, trailerBytes, trailerFor, type HmacKey } from './integrity.js';
import { tempName } from './paths.js';
import { EARLY_FLUSH_BYTES, ensureChecked, serializeEntries, type SerializedEntries } from './serialize.js';
import { FORMAT_VERSION, type HandoffSpec } from './spec.js';
import { parseRfc3339 } from './time.js';

const fsyncAsync = promisify(fsync);

export type WriteOptions = {
  /** Sign the snapshot with HMAC-SHA256 under this key. */
  hmacKey?: HmacKey;
  /** File mode of the snapshot (default 0o644), applied whatever the umask. */
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
  signed: boolean;
  /** True when a newer write from this process replaced this one before it reached disk. */
  coalesced: boolean;
};

type Job<Entry> = SerializedEntries<Entry> & {
  writtenAt: string;
  hmacKey: HmacKey | undefined;
  mode: number;
  minSeq: number;
  waiters: { resolve: (r: WriteResult) => void; reject: (e: unknown) => void }[];
};

type Lane = { pending: Job<unknown> | null; running: boolean; lastSeq: number };

// One lane per target file: at most one write in flight, and only the newest pending
// document kept, so a burst of writes costs two disk writes and the last one always wins.
const lanes = new Map<string, Lane>();

function prepare<Entry>(spec: HandoffSpec<Entry>, input: SnapshotInput<Entry>, options: WriteOptions): Omit<Job<Entry>, 'waiters'> {
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

  return { spec, ...serializeEntries(spec, input.entries), writtenAt, hmacKey, mode, minSeq };
}

/** Latest-wins, atomic and durable replace of the handoff file at `path`. */
export function writeHandoff<Entry>(spec: HandoffSpec<Entry>, path: string, input: SnapshotInput<Entry>, options: WriteOptions = {}): Promise<WriteResult> {
  let job: Job<unknown>;
  let lane = lanes.get(path);
  try {
    job = { ...prepare(spec, input, options), waiters: [] } as Job<unknown>;
    // Replacing a pending write: this one must be valid first
    if (lane?.pending) ensureChecked(job);
  } catch (error) {
    return Promise.reject(error);
  }
  return new Promise((resolve, reject) => {
    job.waiters.push({ resolve, reject });
    if (!lane) lanes.set(path, (lane = { pending: null, running: false, lastSeq: 0 }));
    if (lane.pending) {
      // …and so must the one it replaces, whose callers are told the outcome of this one
      try {
        ensureChecked(lane.pending);
        job.waiters.unshift(...lane.pending.waiters);
      } catch (error) {
        for (const w of lane.pending.waiters) w.reject(error);
      }
    }
    lane.pending = job;
    if (!lane.running) void drain(path, lane);
  });
}

async function drain(path: string, lane: Lane): Promise<void> {
  lane.running = true;
  try {
    for (let job = lane.pending; job; job = lane.pending) {
      lane.pending = null;
      try {
        const result = await writeOnce(path, lane, job);
        const last = job.waiters.length - 1;
        job.waiters.forEach((w, i) => w.resolve({ ...result, coalesced: i !== last }));
      } catch (error) {
        for (const w of job.waiters) w.reject(error);
      }
    }
  } finally {
    lane.running = false;
    if (!lane.pending) lanes.delete(path);
  }
}

async function writeOnce(path: string, lane: Lane, job: Job<unknown>): Promise<Omit<WriteResult, 'coalesced'>> {
  const dir = dirname(path);
  const fileName = path.slice(dir.length + 1);
  // A small document is checked before anything is touched; a large one while it is flushed
  if (job.entries.length < EARLY_FLUSH_BYTES) ensureChecked(job);
  await mkdir(dir, { recursive: true, mode: 0o755 });
  const unsafe = handoffDirProblem(dir);
  if (unsafe) throw new SnapshotError('UNSAFE_DIRECTORY', path, `refusing to write ${path}: ${unsafe}`);
  await sweepTemps(dir, fileName);

  // Sequence: one more than the file on disk, this process's last write and the caller's floor
  const seq = Math.max(await seqOnDisk(path), lane.lastSeq, job.minSeq) + 1;

  // The document: its head, the entries serialised at the call, then the integrity trailer
  // in place of the closing brace (its contentHash computed in place, or still on its way
  // from the digest thread)
  let trailer: Trailer;
  const head = Buffer.from(`{"version":${FORMAT_VERSION},"seq":${seq},"writtenAt":${JSON.stringify(job.writtenAt)},"entries":`, 'utf8');

  // Write a unique temp file, fsync it, rename it over the target, fsync the directory.
  // A large document's bulk is flushed while its entries are checked (ensureChecked) and,
  // on the digest thread, its checksum is computed: head and entries are written and their
  // fsync started, the trailer follows once all three are done, then a second (small)
  // fsync. Copying into the page cache is done in place: for a large buffer it takes a
  // few ms here, several times that through the thread pool.
  const temp = join(dir, tempName(fileName));
  liveTemps.add(temp);
  try {
    const fd = openSync(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, job.mode);
    try {
      writeAllSync(fd, head, 0);
      const entries = job.entries;
      writeAllSync(fd, entries, head.length);
      const large = entries.length >= EARLY_FLUSH_BYTES;
      const flushed = large ? fsyncAsync(fd) : null;
      flushed?.catch(() => {}); // its failure is thrown where it is awaited, below
      let digest = large ? digestOffThread(head, entries, job.hmacKey) : null;
      try {
        ensureChecked(job);
      } catch (error) {
        void digest?.finish(null).catch(() => {});
        await flushed?.catch(() => {});
        throw error;
      }
      if (job.entries !== entries) {
        // Valid, but not all in canonical form: written again, canonical
        void digest?.finish(null).catch(() => {});
        digest = null;
        await flushed;
        ftruncateSync(fd, head.length);
        writeAllSync(fd, job.entries, head.length);
      }
      trailer = await trailerOf(head, job.entries, job.hmacKey, digest);
      await flushed;
      writeAllSync(fd, trailer.bytes, head.length + job.entries.length);
      fchmodSync(fd, job.mode);
      await fsyncAsync(fd);
    } finally {
      closeSync(fd);
    }
    await rename(temp, path);
  } catch (error) {
    await unlink(temp).catch(() => {});
    throw error;
  } finally {
    liveTemps.delete(temp);
  }
  await fsyncDir(dir);

  lane.lastSeq = seq;
  // The digest thread finishes the whole file's hash while the file is renamed into place
  let contentHash = await trailer.contentHash;
  contentHash ??= trailerFor([head, job.entries], job.hmacKey).contentHash;
  return {
    path,
    seq,
    writtenAt: job.writtenAt,
    entries: job.count,
    bytes: head.length + job.entries.length + trailer.bytes.length,
    contentHash,
    signed: job.hmacKey !== undefined,
  };
}

/** The trailer; contentHash computed here, or still on its way from the digest thread. */
type Trailer = { bytes: Buffer; contentHash: string | Promise<string | null> };

/** The trailer, from the digest thread when there is one (hashed here if it fails). */
async function trailerOf(head: Buffer, entries: Buffer, hmacKey: HmacKey | undefined, digest: OffThreadDigest | null): Promise<Trailer> {
  if (digest) {
    try {
      const { checksum, signature } = await digest.covered;
      const bytes = trailerBytes(checksum, signature);
      return { bytes, contentHash: digest.finish(bytes).catch(() => null) };
    } catch {
      // the thread failed: hash here
    }
  }
  return trailerFor([head, entries], hmacKey);
}
