import cron, { type ScheduledTask } from 'node-cron';
import { createHash } from 'node:crypto';
import { basename, dirname } from 'node:path';
import { mkdir } from 'node:fs/promises';
import { watchDir, type DirWatch } from './dir-watch.js';
import { SnapshotError } from './errors.js';
import { sameFile, sameIdentity, statIdentity, type FileIdentity } from './identity.js';
import { readHandoff, type ReadOptions, type ReadResult } from './read.js';
import { keepRejected } from './rejected.js';
import type { HandoffSpec } from './spec.js';

export type TriggerReason = 'start' | 'watch' | 'recheck' | 'poll' | 'tick' | 'retry' | 'manual';

export type ConsumerEvent =
  | { type: 'ready'; path: string; watching: boolean; cron: string | null; pollMs: number }
  | { type: 'absent'; path: string }
  | { type: 'handled'; path: string; reason: TriggerReason; result: ReadResult<unknown> }
  | { type: 'rejected'; path: string; reason: TriggerReason; error: SnapshotError; copy: string | null; note: string | null }
  | { type: 'failed'; path: string; reason: TriggerReason; stage: 'read' | 'handler'; error: unknown; retryInMs: number }
  | { type: 'watch-error'; path: string; error: unknown }
  | { type: 'rewatched'; path: string };

export type ConsumerOptions<Entry> = {
  /** Called once for each new snapshot content; a throw is retried with backoff. */
  handler: (result: ReadResult<Entry>, reason: TriggerReason) => Promise<void> | void;
  /** Told what happened, for logs. */
  onEvent?: (event: ConsumerEvent) => void;
  read?: ReadOptions;
  /** node-cron expression of the maintenance tick (default every 5 minutes); null for none. */
  cron?: string | null;
  /** Watch the directory for publishes (default true). */
  watch?: boolean;
  /** Look at the file this often as a safety net, in ms (default 2000); 0 for never. */
  pollMs?: number;
  /** How many copies of rejected files to keep (default 10); 0 keeps none. */
  keepRejected?: number;
};

export type Consumer = {
  /** Creates the directory if needed, starts watching and ticking, handles the current file. */
  start(): Promise<void>;
  /** Asks for a run; runs never overlap, and requests during a run coalesce into one more. */
  trigger(reason?: TriggerReason): void;
  /** Runs now (after any run in flight) and resolves when that run is done. */
  runNow(reason?: TriggerReason): Promise<void>;
  /** Stops watching and ticking, waits for the run in flight. */
  stop(): Promise<void>;
};

// After a watch event, look again a little later: chokidar may merge or drop the event of
// the last rename in a burst, and these cheap lstat calls make sure the final file is seen.
const RECHECK_MS = [40, 200, 1000];
const RETRY_MS = [1000, 2000, 5000, 15000, 60000];

export function createConsumer<Entry>(spec: HandoffSpec<Entry>, path: string, options: ConsumerOptions<Entry>): Consumer {
  // Validate options
  if (typeof options?.handler !== 'function') throw new TypeError('Expected the "handler" option to be a function');
  const cronExpression = options.cron === undefined ? '*/5 * * * *' : options.cron;
  if (cronExpression !== null && (typeof cronExpression !== 'string' || !cron.validate(cronExpression))) {
    throw new RangeError(`Expected the "cron" option to be a cron expression such as "*/5 * * * *", got ${JSON.stringify(cronExpression)}`);
  }
  const pollMs = options.pollMs ?? 2000;
  if (!Number.isInteger(pollMs) || pollMs < 0) throw new RangeError('Expected the "pollMs" option to be a non-negative integer');
  const keep = options.keepRejected ?? 10;
  const emit = (event: ConsumerEvent) => options.onEvent?.(event);
  const dir = dirname(path);
  const fileName = basename(path);

  // What has been seen: the file handled last, the bad file reported last, a failing one.
  // A file is skipped unread only when its identity proves the content unchanged (see
  // FileIdentity); else it is read, and content equal to what was seen is not handled or
  // reported again.
  let handled: { identity: FileIdentity; contentHash: string } | null = null;
  let rejected: { identity: FileIdentity; contentHash: string | null } | null = null;
  let failed: FileIdentity | null = null;
  let failures = 0;
  let absentReported = false;

  let requested: TriggerReason | null = null;
  let running: Promise<void> | null = null;
  let stopping = false;
  let dirWatch: DirWatch | null = null;
  let task: ScheduledTask | null = null;
  let pollTimer: NodeJS.Timeout | null = null;
  const timers = new Set<NodeJS.Timeout>();

  function later(ms: number, reason: TriggerReason) {
    const timer = setTimeout(() => {
      timers.delete(timer);
      trigger(reason);
    }, ms);
    timers.add(timer);
  }

  function trigger(reason: TriggerReason = 'manual') {
    if (stopping) return;
    requested = requested ?? reason;
    running ??= loop().finally(() => {
      running = null;
    });
  }

  async function loop() {
    while (requested && !stopping) {
      const reason = requested;
      requested = null;
      await runOnce(reason);
    }
  }

  function fail(identity: FileIdentity, reason: TriggerReason, error: unknown, stage: 'read' | 'handler') {
    failed = identity;
    const retryInMs = RETRY_MS[Math.min(failures++, RETRY_MS.length - 1)]!;
    if (!stopping) later(retryInMs, 'retry');
    emit({ type: 'failed', path, reason, stage, error, retryInMs });
  }

  async function runOnce(reason: TriggerReason) {
    await rewatchIfMoved();
    // Skip a file already handled or already reported, without reading it
    const identity = await statIdentity(path).catch(() => null);
    if (identity === null) {
      if (!absentReported) emit({ type: 'absent', path });
      absentReported = true;
      return;
    }
    absentReported = false;
    if (sameIdentity(identity, handled?.identity) || sameIdentity(identity, rejected?.identity)) return;
    // Refused unread (not a regular file, too large): a file that looks the same is refused again
    if (rejected && rejected.contentHash === null && sameFile(identity, rejected.identity)) return;
    if (sameFile(identity, failed) && reason !== 'retry' && reason !== 'tick') return;

    let result: ReadResult<Entry>;
    try {
      result = await readHandoff(spec, path, options.read);
    } catch (error) {
      if (error instanceof SnapshotError && error.code === 'NOT_FOUND') return;
      // An I/O failure (permissions, EIO) says nothing about the file: try again later.
      if (!(error instanceof SnapshotError)) return fail(identity, reason, error, 'read');
      const contentHash = error.bytes ? createHash('sha256').update(error.bytes).digest('hex') : null;
      const again = rejected !== null && sameFile(identity, rejected.identity) && contentHash === rejected.contentHash;
      rejected = { identity, contentHash };
      if (again) return;
      let copy: string | null = null;
      let note: string | null = null;
      try {
        copy = await keepRejected(dir, error, { keep });
      } catch (cause) {
        note = `no copy kept: ${(cause as Error).message}`;
      }
      emit({ type: 'rejected', path, reason, error, copy, note });
      return;
    }
    if (handled && result.contentHash === handled.contentHash) {
      handled = { identity: result.identity, contentHash: result.contentHash };
      return;
    }

    try {
      await options.handler(result, reason);
      handled = { identity: result.identity, contentHash: result.contentHash };
      failed = null;
      failures = 0;
      emit({ type: 'handled', path, reason, result: result as ReadResult<unknown> });
    } catch (error) {
      fail(result.identity, reason, error, 'handler');
    }
  }

  async function rewatchIfMoved() {
    if (dirWatch && !stopping && (await dirWatch.renew())) emit({ type: 'rewatched', path });
  }

  function onFileEvent() {
    trigger('watch');
    for (const ms of RECHECK_MS) later(ms, 'recheck');
  }

  return {
    async start() {
      if (dirWatch || task || pollTimer) throw new Error('consumer already started');
      stopping = false;
      await mkdir(dir, { recursive: true, mode: 0o755 });
      if (options.watch !== false) dirWatch = await watchDir(dir, fileName, onFileEvent, (error) => emit({ type: 'watch-error', path, error }));
      if (cronExpression !== null) {
        task = cron.createTask(cronExpression, () => trigger('tick'), { noOverlap: true, name: `consume ${path}` });
        await task.start();
      }
      if (pollMs > 0) {
        pollTimer = setInterval(() => trigger('poll'), pollMs);
        pollTimer.unref();
      }
      emit({ type: 'ready', path, watching: dirWatch !== null, cron: cronExpression, pollMs });
      await this.runNow('start');
    },
    trigger,
    async runNow(reason: TriggerReason = 'manual') {
      while (running) await running;
      trigger(reason);
      while (running) await running;
    },
    async stop() {
      stopping = true;
      requested = null;
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      if (pollTimer) clearInterval(pollTimer);
      pollTimer = null;
      if (task) await task.destroy();
      task = null;
      await dirWatch?.close();
      dirWatch = null;
      while (running) await running;
    },
  };
}
