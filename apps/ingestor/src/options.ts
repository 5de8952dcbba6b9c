// Options the commands share, and how they are turned into values.
import type { Argv } from 'yargs';
import { KEY_FILE_RULES, LOG_FORMATS, parseDuration, readKeyFile, type LogFormat, type Logger } from '@mbcap/cli';
import { SYNCHRONOUS_LEVELS, type SynchronousLevel } from '@mbcap/dbschema';

export type CommonArgs = { db: string; 'log-format': LogFormat };
export type WriteArgs = CommonArgs & { synchronous: SynchronousLevel };
export type ReadArgs = WriteArgs & { 'hmac-key-file'?: string; 'max-bytes': number; 'max-future': string; 'max-apply-time': string; migrate: boolean };

export function withDb<T>(y: Argv<T>) {
  return y
    .option('db', {
      type: 'string',
      demandOption: true,
      describe: 'Path of the SQLite database; the snapshot is read from <its dir>/mbcap-snapshot/snapshot.json',
      requiresArg: true,
    })
    .option('log-format', {
      choices: LOG_FORMATS as LogFormat[],
      default: 'text' as LogFormat,
      describe: 'Log lines on stderr: text for people, json for collectors (one object a line)',
    });
}

/** The options of a command that writes the database. */
export function withWrite<T>(y: Argv<T>) {
  return withDb(y).option('synchronous', {
    choices: SYNCHRONOUS_LEVELS as unknown as SynchronousLevel[],
    default: 'full' as SynchronousLevel,
    describe:
      'When a commit is on disk. full: before it is acknowledged, so it survives a power cut. normal: at the next checkpoint; faster, but after a power cut the last acknowledged applies, import batches and resets may be gone (never half done)',
  });
}

export function withRead<T>(y: Argv<T>) {
  return withWrite(y)
    .option('hmac-key-file', {
      type: 'string',
      requiresArg: true,
      describe: `Require snapshots signed with HMAC-SHA256 under the key in this file: ${KEY_FILE_RULES}`,
    })
    .option('max-bytes', {
      type: 'number',
      default: 256 * 1024 * 1024,
      describe: 'Refuse snapshot files larger than this many bytes',
    })
    .option('max-future', {
      type: 'string',
      default: '10m',
      describe: 'Refuse a snapshot whose writtenAt is further ahead of this clock than this (e.g. 30s, 10m)',
    })
    .option('max-apply-time', {
      type: 'string',
      default: '30s',
      describe:
        'Give up an apply that holds the database write lock longer than this (e.g. 30s, 2m): it rolls back and writes nothing; the next snapshot (or the next apply) tries again. Nothing else can write while an apply runs',
    })
    .option('migrate', {
      type: 'boolean',
      default: true,
      describe: 'Bring the schema up to date first; --no-migrate leaves it alone (a legacy database then gives schema-missing)',
    });
}

/** The options as values; a refused key file throws KeyFileError (exit 2), `log` says which key is in force. */
export function readOptions(args: ReadArgs, log: Logger) {
  const maxBytes = args['max-bytes'];
  if (!Number.isSafeInteger(maxBytes) || maxBytes < 1) throw new RangeError(`Expected --max-bytes to be a positive whole number, got ${maxBytes}`);
  const maxFutureMs = parseDuration(args['max-future'], '--max-future');
  const maxApplyMs = parseDuration(args['max-apply-time'], '--max-apply-time');
  if (maxApplyMs <= 0) throw new RangeError(`Expected --max-apply-time to be a positive duration such as 30s, got ${JSON.stringify(args['max-apply-time'])}`);
  return { hmacKey: readKeyFile(args['hmac-key-file'], { use: 'verify', log }), maxBytes, maxFutureMs, maxApplyMs };
}
