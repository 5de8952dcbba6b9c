// Latest wins, as steno's Writer: one lane per target file, at most one write in flight
// and only the newest pending write kept. A burst of writes costs two disk writes, and the
// last one of the burst is always the one left on disk. The callers of a replaced write are
// told the outcome of the write that replaced it (`coalesced: true`).

type Waiter<Result> = { resolve: (result: Result & { coalesced: boolean }) => void; reject: (error: unknown) => void };
type Queued<Job, Result> = { job: Job; waiters: Waiter<Result>[] };

/** What this process remembers of the file at one path, for as long as it runs. */
export type LaneState = { lastSeq: number };

type Lane = { state: LaneState; pending: Queued<unknown, unknown> | null; running: boolean };

// Lanes with work only; the state of every path written stays
const lanes = new Map<string, Lane>();
const states = new Map<string, LaneState>();

export type LaneWork<Job, Result> = {
  /** Writes one job; runs for one job of a lane at a time. */
  write(job: Job, state: LaneState): Promise<Result>;
  /** Throws when a job must not be written; called on both jobs before one replaces the other. */
  check(job: Job): void;
};

/** Queues `job` for the file at `path`; resolves with its result, or that of a newer job that replaced it. */
export function enqueue<Job, Result>(path: string, job: Job, work: LaneWork<Job, Result>): Promise<Result & { coalesced: boolean }> {
  let lane = lanes.get(path);
  // Replacing a pending write: this one must be valid first, so an invalid write never
  // stands in for a valid one…
  if (lane?.pending) {
    try {
      work.check(job);
    } catch (error) {
      return Promise.reject(error);
    }
  }
  return new Promise((resolve, reject) => {
    const queued: Queued<Job, Result> = { job, waiters: [{ resolve, reject }] };
    if (!lane) {
      let state = states.get(path);
      if (!state) states.set(path, (state = { lastSeq: 0 }));
      lanes.set(path, (lane = { state, pending: null, running: false }));
    }
    const replaced = lane.pending as Queued<Job, Result> | null;
    if (replaced) {
      // …and so must the one it replaces, whose callers are told the outcome of this one
      try {
        work.check(replaced.job);
        queued.waiters.unshift(...replaced.waiters);
      } catch (error) {
        for (const w of replaced.waiters) w.reject(error);
      }
    }
    lane.pending = queued as Queued<unknown, unknown>;
    if (!lane.running) void drain(path, lane, work as LaneWork<unknown, unknown>);
  });
}

async function drain(path: string, lane: Lane, work: LaneWork<unknown, unknown>): Promise<void> {
  lane.running = true;
  try {
    for (let queued = lane.pending; queued; queued = lane.pending) {
      lane.pending = null;
      try {
        const result = await work.write(queued.job, lane.state);
        const last = queued.waiters.length - 1;
        queued.waiters.forEach((w, i) => w.resolve({ ...(result as object), coalesced: i !== last }));
      } catch (error) {
        for (const w of queued.waiters) w.reject(error);
      }
    }
  } finally {
    lane.running = false;
    if (!lane.pending) lanes.delete(path);
  }
}
