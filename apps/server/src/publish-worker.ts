// The publish cycle off the main thread: compute, serialise, validate, write, fsync and
// rename all happen here, so HTTP load on the main thread never slows a publish down and a
// publish never stalls the API. The worker keeps its own read-only connection, reopened
// each cycle: a migration by the ingestor may have added columns since.
import { parentPort, workerData } from 'node:worker_threads';
import { openServerDatabase, type ServerDatabase } from './database.js';
import { keptBuffers } from './kept.js';
import { publishCycle } from './publish-cycle.js';

export type PublishRequest = { id: number; windowMs: number | null };
export type PublishWorkerData = { dbPath: string; hmacKey?: string | Uint8Array };

const { dbPath, hmacKey } = workerData as PublishWorkerData;
// A Buffer arrives as a plain Uint8Array
const key = hmacKey instanceof Uint8Array ? Buffer.from(hmacKey) : hmacKey;
let source: ServerDatabase | null = null;

function open(): ServerDatabase {
  source?.db.close();
  source = null;
  source = openServerDatabase(dbPath);
  return source;
}

parentPort!.on('message', (request: PublishRequest) => {
  void publishCycle(open, dbPath, { windowMs: request.windowMs, hmacKey: key, entriesJson: true, keep: true, skipUnchanged: true }).then((outcome) => {
    // The entries' bytes and the kept explanations are moved, not copied, to the main thread
    const transfer = outcome.entriesJson ? [outcome.entriesJson.bytes.buffer as ArrayBuffer, outcome.entriesJson.offsets.buffer as ArrayBuffer] : [];
    if (outcome.kept !== null) transfer.push(...keptBuffers(outcome.kept));
    parentPort!.postMessage({ id: request.id, outcome }, transfer);
  });
});
