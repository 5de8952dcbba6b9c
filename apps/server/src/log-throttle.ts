// One log line per kind of trouble per interval: a client sending garbage, or a flood of
// connections past the cap, must not turn the log into the flood.
import type { Logger } from '@mbcap/cli';

export type ThrottledLog = (event: string, message: string) => void;

export function throttledWarn(log: Logger | undefined, intervalMs: number): ThrottledLog {
  const last = new Map<string, { at: number; suppressed: number }>();
  return (event, message) => {
    if (log === undefined) return;
    const now = Date.now();
    const seen = last.get(event);
    if (seen !== undefined && now - seen.at < intervalMs) {
      seen.suppressed++;
      return;
    }
    const more = seen !== undefined && seen.suppressed > 0 ? ` (and ${seen.suppressed} more like it since the last such line)` : '';
    last.set(event, { at: now, suppressed: 0 });
    log.warn(event, `${message}${more}`);
  };
}
