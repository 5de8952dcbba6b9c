import { format } from 'node:util';
import { countLost, guardStdio, logStats, writeStderr } from './stderr.js';

export type LogFormat = 'text' | 'json';
export type LogLevel = 'info' | 'warn' | 'error';

export type Logger = {
  /** One line: what happened (`event`, a stable word), in words a person can act on. */
  info(event: string, message: string, fields?: Record<string, unknown>): void;
  warn(event: string, message: string, fields?: Record<string, unknown>): void;
  error(event: string, message: string, fields?: Record<string, unknown>): void;
};

export const LOG_FORMATS: readonly LogFormat[] = ['text', 'json'];

// Lost lines already owned up to in the log, shared by every logger of the process
let reported = 0;

/**
 * Log lines on stderr (stdout is kept for results): text, `<time> <level> <message>`, or
 * JSON lines, `{"time","level","event","msg",…fields}`. Logging never throws: a line that
 * cannot be written (EPIPE, ENOSPC) is counted in `logStats().lost`, and the first line
 * that gets through afterwards is preceded by a `log-lost` warning saying how many.
 */
export function createLogger(options: { format?: LogFormat; write?: (line: string) => void } = {}): Logger {
  const logFormat = options.format ?? 'text';
  if (!LOG_FORMATS.includes(logFormat)) throw new RangeError(`Expected the log format to be "text" or "json", got ${JSON.stringify(logFormat)}`);
  guardStdio();
  const custom = options.write;
  const put = custom
    ? (line: string, count = true) => {
        try {
          custom(line);
          return true;
        } catch (error) {
          if (count) countLost((error as NodeJS.ErrnoException).code ?? String(error));
          return false;
        }
      }
    : writeStderr;

  function render(level: LogLevel, event: string, message: string, fields: Record<string, unknown>) {
    const time = new Date().toISOString();
    if (logFormat === 'json') return `${JSON.stringify({ time, level, event, msg: message, ...fields }, jsonSafe)}\n`;
    return `${time} ${level.padEnd(5)} ${format('%s', message)}\n`;
  }

  function emit(level: LogLevel, event: string, message: string, fields: Record<string, unknown> = {}) {
    const stats = logStats();
    if (stats.lost > reported) {
      const gap = stats.lost - reported;
      const notice = render(
        'warn',
        'log-lost',
        `${gap} log line${gap === 1 ? '' : 's'} could not be written (${stats.lastError}); the log has a gap before this line`,
        { lost: gap, reason: stats.lastError },
      );
      // The notice is not a line of its own to count: it is tried again with the next line
      if (put(notice, false)) reported = stats.lost;
    }
    let line: string;
    try {
      line = render(level, event, message, fields);
    } catch (error) {
      // Fields JSON cannot hold (a cycle): the line without them
      line = render(level, event, message, { fieldsError: (error as Error).message });
    }
    put(line);
  }
  return {
    info: (event, message, fields) => emit('info', event, message, fields),
    warn: (event, message, fields) => emit('warn', event, message, fields),
    error: (event, message, fields) => emit('error', event, message, fields),
  };
}

function jsonSafe(_key: string, value: unknown) {
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Error) return { name: value.name, message: value.message };
  return value;
}
