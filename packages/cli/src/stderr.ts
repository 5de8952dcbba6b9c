import { writeSync } from 'node:fs';

// How long a line may wait for a full pipe (EAGAIN) before it is dropped. Node makes fd 2
// non-blocking once process.stderr exists, so a slow reader gives EAGAIN, not a wait. Once
// a line is dropped, the next ones do not wait until a write gets through again.
const EAGAIN_BUDGET_MS = 50;
const pause = new Int32Array(new SharedArrayBuffer(4));

let lost = 0;
let lastError: string | null = null;
let midLine = false;
let stalled = false;
let guarded = false;

/** Log lines that could not be written (stderr gone, disk full, pipe full too long). */
export function logStats(): { lost: number; lastError: string | null } {
  return { lost, lastError };
}

/**
 * Writes `text` (whole lines) to stderr, synchronously, and never throws: a broken or full
 * log destination costs the line, counted in `logStats().lost` (unless `count` is false),
 * not the process.
 */
export function writeStderr(text: string, count = true): boolean {
  // A line cut short by the last failure gets its end, so the next one starts clean
  const bytes = Buffer.from(midLine ? `\n${text}` : text);
  let offset = 0;
  let waited = stalled ? EAGAIN_BUDGET_MS : 0;
  while (offset < bytes.length) {
    let code = 'EAGAIN';
    try {
      const written = writeSync(2, bytes, offset);
      offset += written;
      if (written > 0) continue;
    } catch (error) {
      code = (error as NodeJS.ErrnoException).code ?? String(error);
    }
    if (code === 'EAGAIN' && waited < EAGAIN_BUDGET_MS) {
      Atomics.wait(pause, 0, 0, 2);
      waited += 2;
      continue;
    }
    if (offset > 0) midLine = bytes[offset - 1] !== 0x0a;
    stalled = code === 'EAGAIN';
    if (count) countLost(code);
    return false;
  }
  midLine = false;
  stalled = false;
  return true;
}

/** Counts one log line that a custom writer could not write. */
export function countLost(reason: string): void {
  lost++;
  lastError = reason;
}

/**
 * Keeps an 'error' on process.stdout or process.stderr (EPIPE, ENOSPC from a write
 * somewhere else) from ending the process: the output is lost, the work goes on.
 */
export function guardStdio(): void {
  if (guarded) return;
  guarded = true;
  process.stdout.on('error', () => {});
  process.stderr.on('error', (error: NodeJS.ErrnoException) => countLost(error.code ?? error.message));
}
