import { closeSync, constants, fchmodSync, fsync, openSync } from 'node:fs';
import { mkdir, rename, unlink } from 'node:fs/promises';
import { promisify } from 'node:util';
import { fsyncDir, liveTemps, seqOnDisk, sweepTemps, writeAllSync } from './disk.js';
import { dirname, join } from 'node:path';
import { checkHmacKey, trailerFor, type HmacKey } from './integrity.js';
import { tempName } from './paths.js';
import { FORMAT_VERSION, type HandoffSpec } from './spec.js';
import { parseRfc3339 } from './time.js';

export type WriteOptions = {
  /** Sign the snapshot with HMAC-SHA256 under this key. */
  hmacKey?: HmacKey;
  /** File mode of the snapshot (default 0o644), applied whatever the umask. */
  mode?: number;
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

type Job<Entry> = {
  spec: HandoffSpec<Entry>;
  entries: Entry[];
  writtenAt: string;
  hmacKey: HmacKey | undefined;
  mode: number;
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

  // Canonical entries: what a reader will get back. The common case, every entry already
  // canonical, keeps the caller's array (copied, so a later change by the caller cannot
  // reach a write still pending).
  const source = input.entries;
  const isPlain = spec.isPlainEntry;
  let first = 0;
  if (isPlain) while (first < source.length && isPlain(source[first])) first++;
  const entries: Entry[] = source.slice(0, first);
  for (let index = first; index < source.length; index++) {
    const value = source[index];
    if (isPlain?.(value)) {
      entries.push(value);
      continue;
    }
    const parsed = spec.entry.safeParse(value);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new TypeError(`Invalid entry at index ${index}: ${issue.path.join('.') || 'entry'}: ${issue.message}`);
    }
    entries.push(parsed.data);
  }
  return { spec, entries, writtenAt, hmacKey, mode };
}

/** Latest-wins, atomic and durable replace of the handoff file at `path`. */
export function writeHandoff<Entry>(spec: HandoffSpec<Entry>, path: string, input: SnapshotInput<Entry>, options: WriteOptions = {}): Promise<WriteResult> {
  let job: Job<Entry>;
  try {
    job = { ...prepare(spec, input, options), waiters: [] };
  } catch (error) {
    return Promise.reject(error);
  }
  return new Promise((resolve, reject) => {
    job.waiters.push({ resolve, reject });
    let lane = lanes.get(path);
    if (!lane) lanes.set(path, (lane = { pending: null, running: false, lastSeq: 0 }));
    if (lane.pending) job.waiters.unshift(...lane.pending.waiters);
    lane.pending = job as Job<unknown>;
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
  await mkdir(dir, { recursive: true, mode: 0o755 });
  await sweepTemps(dir, fileName);

  // Sequence: one more than both the file on disk and this process's last write
  const seq = Math.max(await seqOnDisk(path), lane.lastSeq) + 1;

  // Serialise: the document, then the integrity trailer in place of its closing brace
  const body = Buffer.from(JSON.stringify({ version: FORMAT_VERSION, seq, writtenAt: job.writtenAt, entries: job.entries }), 'utf8');
  const covered = body.subarray(0, body.length - 1);

  // Write a unique temp file, fsync it, rename it over the target, fsync the directory
  // (Copying into the page cache is done in place: for a large buffer it takes a few ms
  // here, several times that through the thread pool. The fsync, which may wait on the
  // disk, goes to the thread pool.)
  const temp = join(dir, tempName(fileName));
  const trailer = trailerFor(covered, job.hmacKey);
  liveTemps.add(temp);
  try {
    const fd = openSync(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, job.mode);
    try {
      writeAllSync(fd, covered, 0);
      writeAllSync(fd, trailer.bytes, covered.length);
      fchmodSync(fd, job.mode);
      await promisify(fsync)(fd);
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
  return {
    path,
    seq,
    writtenAt: job.writtenAt,
    entries: job.entries.length,
    bytes: covered.length + trailer.bytes.length,
    contentHash: trailer.contentHash,
    signed: job.hmacKey !== undefined,
  };
}
