import { open, stat } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import type { Database } from 'better-sqlite3';
import type { CommandModule } from 'yargs';
import { createLogger, onStopSignals } from '@mbcap/cli';
import { withWrite, type WriteArgs } from '../options.js';
import { createProgress, type Progress } from '../import-progress.js';
import { importLines } from '../import-run.js';
import { describeSummary } from '../import-summary.js';
import { createImportWriter, type ImportWriter } from '../import-writer.js';
import { openForWrite } from '../session.js';

type Args = WriteArgs & { file: string | number | boolean; json: boolean; migrate: boolean; 'max-bad'?: number };

export const importCommand: CommandModule<object, Args> = {
  command: 'import <file>',
  describe: 'Import packets from JSON lines (raw_hex, first_seen, hash), a file or - for stdin; adverts create and update nodes',
  builder: (y) =>
    withWrite(y)
      .positional('file', { describe: 'JSON lines file, or - to read stdin' })
      .option('json', { type: 'boolean', default: false, describe: 'Print the summary as one JSON object on stdout' })
      .option('migrate', { type: 'boolean', default: true, describe: 'Bring the schema up to date first; --no-migrate leaves it alone' })
      .option('max-bad', {
        type: 'number',
        requiresArg: true,
        describe:
          'Stop (exit 1) once more than this many lines are bad; default: never stop. Whatever this says, an input whose every line is bad exits 1: nothing could be imported',
      }) as never,
  handler: async (args) => {
    // Validate arguments; yargs hands a lone "-" over as true (and "123" as a number)
    const file = args.file === true ? '-' : String(args.file);
    if (file === '' || file === 'false') throw new RangeError(`Expected FILE to be a file name or - for stdin, got ${JSON.stringify(args.file)}`);
    const maxBad = args['max-bad'] ?? null;
    if (maxBad !== null && (!Number.isSafeInteger(maxBad) || maxBad < 0)) {
      throw new RangeError(`Expected --max-bad to be a whole number ≥ 0, got ${maxBad}`);
    }
    const output = process.stderr;
    let progress: Progress | null = null;
    const log = createLogger({
      format: args['log-format'],
      write: (line) => {
        progress?.clear();
        output.write(line);
      },
    });

    // The input first: a mistyped file name leaves the database untouched
    const input = await openInput(file);
    let db: Database | undefined;
    let writer: ImportWriter;
    try {
      db = openForWrite(args.db, log, { migrate: args.migrate, synchronous: args.synchronous });
      writer = createImportWriter(db);
    } catch (error) {
      db?.close();
      input.destroy();
      throw error;
    }

    // Stop: the first SIGINT/SIGTERM ends the import after the batch in progress; a second exits now
    const controller = new AbortController();
    let signalName = '';
    const offSignals = onStopSignals(log, 'SQLite rolls back the uncommitted batch', (signal) => {
      signalName = signal;
      controller.abort();
    });

    progress = args['log-format'] === 'text' ? createProgress(output, file === '-' ? 'stdin' : file) : null;
    const summary = await importLines(input, writer, { log, file, progress, maxBad, signal: controller.signal, signalReason: () => signalName });
    offSignals();
    input.destroy();
    db.close();

    // Report
    const line = describeSummary(summary);
    if (summary.status === 'complete') log.info('imported', line, { ...summary });
    else if (summary.status === 'interrupted') log.warn('interrupted', line, { ...summary });
    else log.error(summary.status, line, { ...summary });
    if (args.json) console.log(JSON.stringify(summary));
    if (summary.status === 'interrupted') process.exit(130);
    if (summary.status !== 'complete') process.exit(1);
    // Every line bad: nothing could be imported, which a script must not take for success
    if (summary.bad > 0 && summary.stored === 0 && summary.duplicates === 0) {
      log.error('nothing-imported', `nothing imported: all ${summary.bad} lines of ${file === '-' ? 'stdin' : file} were bad (see the lines above); exit 1`, {
        ...summary,
      });
      process.exit(1);
    }
  },
};

/** The input stream; throws an Error a person can act on when the file cannot be read. */
async function openInput(file: string): Promise<Readable> {
  if (file === '-') return process.stdin;
  try {
    if ((await stat(file)).isDirectory()) throw new Error('it is a directory');
    const handle = await open(file, 'r');
    return handle.createReadStream();
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message;
    throw new Error(`cannot read ${file}: ${reason}`);
  }
}
