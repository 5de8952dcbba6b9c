// Options the commands share, and how they are turned into values.
import type { Argv } from 'yargs';
import { LOG_FORMATS, parseDuration, readKeyFile, type LogFormat } from '@mbcap/cli';

export type CommonArgs = { db: string; 'log-format': LogFormat };
export type ReadArgs = CommonArgs & { 'hmac-key-file'?: string; 'max-bytes': number; 'max-future': string; migrate: boolean };

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

export function withRead<T>(y: Argv<T>) {
  return withDb(y)
    .option('hmac-key-file', {
      type: 'string',
      requiresArg: true,
      describe: 'Require snapshots signed with HMAC-SHA256 under the key in this file (its content without trailing whitespace)',
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
    .option('migrate', {
      type: 'boolean',
      default: true,
      describe: 'Bring the schema up to date first; --no-migrate leaves it alone (a legacy database then gives schema-missing)',
    });
}

export function readOptions(args: ReadArgs) {
  const maxBytes = args['max-bytes'];
  if (!Number.isSafeInteger(maxBytes) || maxBytes < 1) throw new RangeError(`Expected --max-bytes to be a positive whole number, got ${maxBytes}`);
  return { hmacKey: readKeyFile(args['hmac-key-file']), maxBytes, maxFutureMs: parseDuration(args['max-future'], '--max-future') };
}
