import { Worker } from 'node:worker_threads';
import type { ComputeResult } from './compute.js';

export type ComputeWorker = {
  compute(windowMs: number | null): Promise<ComputeResult>;
  /** Waits for the cycle in flight, then ends the worker. */
  close(): Promise<void>;
};

export function startComputeWorker(dbPath: string): ComputeWorker {
  const worker = new Worker(new URL('./compute-worker.js', import.meta.url), { workerData: { dbPath } });
  const pending = new Map<number, { resolve: (r: ComputeResult) => void; reject: (e: Error) => void }>();
  let nextId = 0;
  worker.on('message', (message: { id: number; result?: ComputeResult; error?: string }) => {
    const waiter = pending.get(message.id);
    pending.delete(message.id);
    if (message.error !== undefined) waiter?.reject(new Error(message.error));
    else waiter?.resolve(message.result!);
  });
  worker.on('error', (error) => {
    for (const waiter of pending.values()) waiter.reject(error);
    pending.clear();
  });
  return {
    compute(windowMs) {
      const id = nextId++;
      return new Promise((resolve, reject) => {
        pending.set(id, { resolve, reject });
        worker.postMessage({ id, windowMs });
      });
    },
    async close() {
      while (pending.size > 0) await new Promise((r) => setTimeout(r, 10));
      await worker.terminate();
    },
  };
}
