import { closeSync, constants, fchmodSync, fsync, openSync } from 'node:fs';
import { mkdir, rename, unlink } from 'node:fs/promises';
import { promisify } from 'node:util';

const fsyncAsync = promisify(fsync);
/** From this size on, the entries are flushed while the checksum is computed. */
const EARLY_FLUSH_BYTES = 1 << 20;
import { fsyncDir, liveTemps, seqOnDisk, sweepTemps, writeAllSync } from './disk.js';
import { dirname, join } from 'node:path';
import { checkHmacKey, trailerFor, type HmacKey } from './integrity.js';
import { tempName } from './paths.js';
import { FORMAT_VERSION, type EntryCodec, type HandoffSpec, type SpanSink } from './spec.js';
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
  /** The entries array, serialised. */
  entries: Buffer;
  count: number;
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

  return { spec, ...serializeEntries(spec, input.entries), writtenAt, hmacKey, mode };
}

const NO_SINK: SpanSink = { pushSpan() {} };

/**
 * The entries array as the bytes to write, serialised once, at the call (a later change
 * by the caller cannot reach a write still pending). When the handoff has a codec and
 * every serialised entry is in canonical form, that check is the validation; otherwise
 * each entry is validated (an invalid one throws, naming its index) and the canonical
 * entries are serialised.
 */
function serializeEntries<Entry>(spec: HandoffSpec<Entry>, source: readonly Entry[]): { entries: Buffer; count: number } {
  if (spec.codec) {
    let bytes: Buffer | null = null;
    try {
      bytes = Buffer.from(JSON.stringify(source), 'utf8');
    } catch {
      // a BigInt or a cycle: the validation below names the entry
    }
    if (bytes && allCanonical(spec.codec, bytes, source.length)) return { entries: bytes, count: source.length };
  }
  const entries: Entry[] = [];
  // With a codec, each entry is rebuilt from its packed form: the canonical shape and key order
  const canonical = spec.codec ? (e: Entry) => spec.codec!.entry(spec.codec!.key(e), spec.codec!.code(e)) : (e: Entry) => e;
  for (let index = 0; index < source.length; index++) {
    const value = source[index];
    if (spec.isPlainEntry?.(value)) {
      entries.push(canonical(value));
      continue;
    }
    const parsed = spec.entry.safeParse(value);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new TypeError(`Invalid entry at index ${index}: ${issue.path.join('.') || 'entry'}: ${issue.message}`);
    }
    entries.push(canonical(parsed.data));
  }
  return { entries: Buffer.from(JSON.stringify(entries), 'utf8'), count: entries.length };
}

/** Whether `bytes` (JSON.stringify of an array) holds `count` entries, each canonical. */
function allCanonical<Entry>(codec: EntryCodec<Entry>, bytes: Buffer, count: number): boolean {
  if (bytes[0] !== 0x5b) return false;
  if (count === 0) return bytes.length === 2;
  let p = 1;
  for (let i = 0; i < count; i++) {
    p = codec.match(bytes, p, NO_SINK);
    if (p < 0) return false;
    const separator = bytes[p++];
    if (separator !== (i === count - 1 ? 0x5d : 0x2c)) return false;
  }
  return p === bytes.length;
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

  // The document: its head, the entries serialised at the call, then the integrity trailer
  // in place of the closing brace
  let trailer: ReturnType<typeof trailerFor>;
  const head = Buffer.from(`{"version":${FORMAT_VERSION},"seq":${seq},"writtenAt":${JSON.stringify(job.writtenAt)},"entries":`, 'utf8');

  // Write a unique temp file, fsync it, rename it over the target, fsync the directory.
  // A large document's bulk is flushed while the checksum is computed: head and entries
  // are written and their fsync started, the trailer follows once both are done, then a
  // second (small) fsync. Copying into the page cache is done in place: for a large buffer it takes a
  // few ms here, several times that through the thread pool.
  const temp = join(dir, tempName(fileName));
  liveTemps.add(temp);
  try {
    const fd = openSync(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, job.mode);
    try {
      writeAllSync(fd, head, 0);
      writeAllSync(fd, job.entries, head.length);
      if (job.entries.length >= EARLY_FLUSH_BYTES) {
        const flushed = fsyncAsync(fd);
        try {
          trailer = trailerFor([head, job.entries], job.hmacKey);
        } finally {
          await flushed;
        }
      } else {
        trailer = trailerFor([head, job.entries], job.hmacKey);
      }
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
  return {
    path,
    seq,
    writtenAt: job.writtenAt,
    entries: job.count,
    bytes: head.length + job.entries.length + trailer.bytes.length,
    contentHash: trailer.contentHash,
    signed: job.hmacKey !== undefined,
  };
}
