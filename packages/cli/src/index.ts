/**
 * @mbcap/cli: what the two command-line programs share: duration options (`5m`, `7d`)
 * and log lines (text for people, JSON lines for collectors) on stderr.
 */
export { parseDuration, formatDuration } from './duration.js';
export { createLogger, LOG_FORMATS } from './log.js';
export type { Logger, LogFormat, LogLevel } from './log.js';
export { createParser } from './parser.js';
export { readKeyFile } from './keyfile.js';
