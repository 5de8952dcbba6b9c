// The import loop: stream lines (memory stays flat whatever the input's size), decode each,
// commit in batches (every 1000 lines or 250 ms), report bad lines, stop cleanly on abort.

import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import type { Logger } from '@mbcap/cli';
import { decodeLine } from './import-line.js';
import type { Progress } from './import-progress.js';
import type { ImportSummary } from './import-summary.js';
import type { DecodedLine, ImportWriter } from './import-writer.js';

export type ImportOptions = {
  log: Logger;
  /** "-" for stdin; used in the summary. */
  file: string;
  progress?: Progress | null;
  /** Stop once more lines than this are bad; null: never. */
  maxBad?: number | null;
  /** Stops reading; the batch in progress is committed. */
  signal?: AbortSignal;
  /** Why the signal fired, for the summary (e.g. "SIGINT"). */
  signalReason?: () => string;
  batchLines?: number;
  batchMs?: number;
  now?: () => string;
};

/** Bad lines reported one by one; past this they are only counted. */
export const BAD_LINES_SHOWN = 100;

export async function importLines(input: Readable, writer: ImportWriter, options: ImportOptions): Promise<ImportSummary> {
  // Interpret options
  const { log, progress = null, maxBad = null, signal } = options;
  const batchLines = options.batchLines ?? 1000;
  const batchMs = options.batchMs ?? 250;
  const now = options.now ?? (() => new Date().toISOString());

  const started = performance.now();
  const summary: ImportSummary = {
    status: 'complete',
    file: options.file,
    read: 0,
    stored: 0,
    duplicates: 0,
    bad: 0,
    nodesCreated: 0,
    nodesUpdated: 0,
    inactiveUpdated: 0,
    durationMs: 0,
    linesPerSecond: 0,
  };
  const tick = () => {
    summary.durationMs = Math.round((performance.now() - started) * 10) / 10;
    summary.linesPerSecond = summary.durationMs > 0 ? Math.round((summary.read * 1000) / summary.durationMs) : 0;
  };

  // Batches
  let pending: DecodedLine[] = [];
  let pendingSince = 0;
  const flush = () => {
    if (pending.length === 0) return;
    const batch = pending;
    pending = [];
    const counts = writer.write(batch);
    summary.stored += counts.stored;
    summary.duplicates += counts.duplicates;
    summary.nodesCreated += counts.nodesCreated;
    summary.nodesUpdated += counts.nodesUpdated;
    summary.inactiveUpdated += counts.inactiveUpdated;
  };
  const lines = createInterface({ input, crlfDelay: Infinity });
  const stop = () => lines.close();
  // Slow input (a pipe that trickles) still commits within batchMs of a line arriving.
  let timerError: unknown = null;
  const timer = setInterval(() => {
    try {
      if (pending.length > 0 && performance.now() - pendingSince >= batchMs) flush();
    } catch (error) {
      timerError = error;
      lines.close();
    }
  }, batchMs);

  signal?.addEventListener('abort', stop, { once: true });
  let lineNumber = 0;
  try {
    for await (const text of lines) {
      lineNumber++;
      if (progress) {
        tick();
        progress.update(summary);
      }
      const outcome = decodeLine(lineNumber === 1 ? text.replace(/^\uFEFF/, '') : text, now);
      if (outcome.kind === 'blank') continue;
      summary.read++;
      if (outcome.kind === 'bad') {
        summary.bad++;
        progress?.clear();
        if (summary.bad <= BAD_LINES_SHOWN)
          log.warn('bad-line', `line ${lineNumber}: ${outcome.reason}; skipped`, { line: lineNumber, reason: outcome.reason });
        if (summary.bad === BAD_LINES_SHOWN + 1)
          log.warn('bad-lines-hidden', `more than ${BAD_LINES_SHOWN} bad lines: the rest are counted in the summary, not shown`);
        if (maxBad !== null && summary.bad > maxBad) {
          summary.status = 'too-many-bad';
          summary.reason = `more than ${maxBad} bad lines (--max-bad), at line ${lineNumber}`;
          break;
        }
        continue;
      }
      if (pending.length === 0) pendingSince = performance.now();
      pending.push({ row: outcome.row, node: outcome.node });
      if (pending.length >= batchLines || performance.now() - pendingSince >= batchMs) flush();
      if (signal?.aborted) break;
    }
    if (timerError !== null) throw timerError;
    flush();
  } catch (error) {
    summary.status = 'failed';
    summary.reason = `${(error as Error).message ?? error}, after line ${lineNumber}`;
    // The batch in progress is lost with a broken database, kept with a broken input.
    try {
      flush();
    } catch {
      // Reported above; SQLite rolled the batch back.
    }
  } finally {
    clearInterval(timer);
    signal?.removeEventListener('abort', stop);
    lines.close();
    progress?.clear();
  }
  if (summary.status === 'complete' && signal?.aborted) {
    summary.status = 'interrupted';
    summary.reason = `${options.signalReason?.() ?? 'interrupted'} after line ${lineNumber}`;
  }
  tick();
  return summary;
}
