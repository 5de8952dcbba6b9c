// Runs the analytics cycle off the main thread, so the HTTP API stays responsive while a
// large database is scanned. The worker keeps its own read-only connection.
import { parentPort, workerData } from 'node:worker_threads';
import { computeCapabilities } from './compute.js';
import { openServerDatabase, type ServerDatabase } from './database.js';

type Request = { id: number; windowMs: number | null };

const { dbPath } = workerData as { dbPath: string };
let source: ServerDatabase | null = null;

parentPort!.on('message', (request: Request) => {
  try {
    // Reopened each cycle: a migration by the ingestor may have added columns since.
    source?.db.close();
    source = openServerDatabase(dbPath);
    const result = computeCapabilities(source, { windowMs: request.windowMs });
    parentPort!.postMessage({ id: request.id, result });
  } catch (error) {
    parentPort!.postMessage({ id: request.id, error: (error as Error).message ?? String(error) });
  }
});
