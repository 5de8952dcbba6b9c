// A single progress line on a terminal, redrawn every 250 ms; nothing when stderr is not a TTY.

import type { ImportSummary } from './import-summary.js';

export type Progress = {
  /** Redraws (at most every 250 ms) from the running counts. */
  update(counts: ImportSummary): void;
  /** Erases the line, so a log line can be written. */
  clear(): void;
};

const EVERY_MS = 250;
const n = (value: number): string => value.toLocaleString('en-US');

export function createProgress(stream: NodeJS.WriteStream, label: string): Progress | null {
  if (!stream.isTTY) return null;
  let shown = false;
  let last = 0;
  return {
    update(counts) {
      const now = Date.now();
      if (now - last < EVERY_MS) return;
      last = now;
      const text = `importing ${label}: ${n(counts.read)} lines, ${n(counts.stored)} stored, ${n(counts.duplicates)} dup, ${n(counts.bad)} bad, ${n(counts.linesPerSecond)}/s`;
      stream.write(`\r\x1b[K${text.slice(0, Math.max(20, (stream.columns || 80) - 1))}`);
      shown = true;
    },
    clear() {
      if (shown) stream.write('\r\x1b[K');
      shown = false;
    },
  };
}
