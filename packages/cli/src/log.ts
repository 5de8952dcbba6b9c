import { format } from 'node:util';

export type LogFormat = 'text' | 'json';
export type LogLevel = 'info' | 'warn' | 'error';

export type Logger = {
  /** One line: what happened (`event`, a stable word), in words a person can act on. */
  info(event: string, message: string, fields?: Record<string, unknown>): void;
  warn(event: string, message: string, fields?: Record<string, unknown>): void;
  error(event: string, message: string, fields?: Record<string, unknown>): void;
};

export const LOG_FORMATS: readonly LogFormat[] = ['text', 'json'];

/**
 * Log lines on stderr (stdout is kept for results): text, `<time> <level> <message>`, or
 * JSON lines, `{"time","level","event","msg",…fields}`.
 */
export function createLogger(options: { format?: LogFormat; write?: (line: string) => void } = {}): Logger {
  const logFormat = options.format ?? 'text';
  if (!LOG_FORMATS.includes(logFormat)) throw new RangeError(`Expected the log format to be "text" or "json", got ${JSON.stringify(logFormat)}`);
  const write = options.write ?? ((line: string) => process.stderr.write(line));

  function emit(level: LogLevel, event: string, message: string, fields: Record<string, unknown> = {}) {
    const time = new Date().toISOString();
    if (logFormat === 'json') {
      write(`${JSON.stringify({ time, level, event, msg: message, ...fields }, jsonSafe)}\n`);
    } else {
      write(`${time} ${level.padEnd(5)} ${format('%s', message)}\n`);
    }
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
