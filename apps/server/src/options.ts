import type { Argv } from 'yargs';
import { KEY_FILE_RULES, LOG_FORMATS, parseDuration, type LogFormat } from '@mbcap/cli';

export type CommonArgs = { db: string; window: string; 'hmac-key-file'?: string; 'log-format': LogFormat };

export function withCommon<T>(y: Argv<T>) {
  return y
    .option('db', {
      type: 'string',
      demandOption: true,
      requiresArg: true,
      describe: 'Path of the SQLite database, opened read-only; the snapshot goes to <its dir>/mbcap-snapshot/snapshot.json',
    })
    .option('window', { type: 'string', default: '7d', requiresArg: true, describe: 'How far back packets count (e.g. 7d, 36h), or "all" for every packet' })
    .option('hmac-key-file', { type: 'string', requiresArg: true, describe: `Sign snapshots with HMAC-SHA256 under the key in this file: ${KEY_FILE_RULES}` })
    .option('log-format', {
      choices: LOG_FORMATS as LogFormat[],
      default: 'text' as LogFormat,
      describe: 'Log lines on stderr: text for people, json for collectors',
    });
}

/** The window in ms, or null for "all". */
export function windowMs(text: string): number | null {
  if (text.trim().toLowerCase() === 'all') return null;
  const problem = new RangeError(`Expected --window to be a positive duration such as 7d or 36h, or "all", got ${JSON.stringify(text)}`);
  let ms: number;
  try {
    ms = parseDuration(text, '--window');
  } catch {
    throw problem;
  }
  if (ms <= 0) throw problem;
  return ms;
}
