/**
 * @mbcap/cli: what the two command-line programs share: duration options (`5m`, `7d`),
 * log lines (text for people, JSON lines for collectors) on stderr that never take the
 * process down, the HMAC key file with its rules, and how a program stops on a signal.
 */
export { parseDuration, formatDuration } from './duration.js';
export { createLogger, LOG_FORMATS } from './log.js';
export type { Logger, LogFormat, LogLevel } from './log.js';
export { guardStdio, logStats, writeStderr } from './stderr.js';
export { createParser, runParser } from './parser.js';
export type { ParserOptions } from './parser.js';
export { surviveHangup } from './hangup.js';
export { onStopSignals } from './signals.js';
export type { StopSignal } from './signals.js';
export { KEY_FILE_RULES, KeyFileError, MIN_KEY_BYTES, readKeyFile } from './keyfile.js';
export type { KeyFileErrorCode, KeyUse } from './keyfile.js';
