// The publish cycle off the main thread: reading new rows, computing, serialising,
// validating, writing, fsync and rename all happen here, so HTTP load on the main thread
// never slows a publish down and a publish never stalls the API. The worker keeps its
// incremental state and its read-only connection from one cycle to the next (run-cycle.ts).
import { parentPort, workerData } from 'node:worker_threads';
import { keptBuffers } from './kept.js';
import { createRunCycle, type RunCycleOptions } from './run-cycle.js';

export type PublishRequest = { id: number; refreshNodes: boolean };
export type PublishWorkerData = { dbPath: string; hmacKey?: string | Uint8Array } & Omit<RunCycleOptions, 'hmacKey'>;

const { dbPath, hmacKey, ...options } = workerData as PublishWorkerData;
// A Buffer arrives as a plain Uint8Array
const key = hmacKey instanceof Uint8Array ? Buffer.from(hmacKey) : hmacKey;
const runCycle = createRunCycle(dbPath, { ...options, hmacKey: key });

parentPort!.on('message', (request: PublishRequest) => {
  void runCycle.cycle({ refreshNodes: request.refreshNodes }).then((outcome) => {
    // The entries' bytes and the kept explanations are moved, not copied, to the main thread
    const transfer = outcome.entriesJson ? [outcome.entriesJson.bytes.buffer as ArrayBuffer, outcome.entriesJson.offsets.buffer as ArrayBuffer] : [];
    if (outcome.kept !== null) transfer.push(...keptBuffers(outcome.kept));
    if (outcome.keptPatch !== null) transfer.push(outcome.keptPatch.ids.buffer as ArrayBuffer, ...keptBuffers(outcome.keptPatch.part));
    parentPort!.postMessage({ id: request.id, outcome }, transfer);
  });
});
