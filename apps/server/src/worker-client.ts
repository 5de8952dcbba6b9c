// The main thread's handle on the publish worker. A worker that dies (a crash, out of
// memory) fails the cycle in flight; the next cycle starts a new one.
import { Worker } from 'node:worker_threads';
import type { PublishOutcome } from './publish-cycle.js';
import type { PublishRequest, PublishWorkerData } from './publish-worker.js';
import type { RunCycleOptions } from './run-cycle.js';

export type PublishWorker = {
  /** One whole cycle in the worker; resolves once the snapshot is durable (or the cycle failed, or waits for --min-interval). */
  publish(options: { refreshNodes: boolean }): Promise<PublishOutcome>;
  /** Waits for the cycle in flight, then ends the worker. */
  close(): Promise<void>;
};

type Reply = { id: number; outcome: PublishOutcome };
type Waiter = { resolve: (reply: Reply) => void; reject: (error: Error) => void };

export function startPublishWorker(dbPath: string, options: RunCycleOptions): PublishWorker {
  const data: PublishWorkerData = { dbPath, ...options };
  const pending = new Map<number, Waiter>();
  let nextId = 0;
  let worker: Worker | null = null;

  const failAll = (error: Error) => {
    for (const waiter of pending.values()) waiter.reject(error);
    pending.clear();
  };

  function spawn(): Worker {
    const w = new Worker(new URL('./publish-worker.js', import.meta.url), { workerData: data });
    w.on('message', (message: Reply) => {
      const waiter = pending.get(message.id);
      pending.delete(message.id);
      waiter?.resolve(message);
    });
    w.on('error', (error) => {
      if (worker === w) worker = null;
      failAll(new Error(`the publish thread failed: ${error.message}`));
    });
    w.on('exit', (code) => {
      if (worker === w) worker = null;
      failAll(new Error(`the publish thread exited with code ${code}`));
    });
    return w;
  }

  // Started now, so the first cycle does not wait for the thread to boot
  worker = spawn();
  function ask(request: Omit<PublishRequest, 'id'>): Promise<Reply> {
    const id = nextId++;
    return new Promise((resolve, reject) => {
      pending.set(id, { resolve, reject });
      try {
        worker ??= spawn();
        worker.postMessage({ ...request, id } satisfies PublishRequest);
      } catch (error) {
        pending.delete(id);
        reject(error as Error);
      }
    });
  }

  return {
    publish: async ({ refreshNodes }) => (await ask({ refreshNodes })).outcome,
    async close() {
      while (pending.size > 0) await new Promise((r) => setTimeout(r, 10));
      const w = worker;
      worker = null;
      await w?.terminate();
    },
  };
}
