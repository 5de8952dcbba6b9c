import { createRequire } from 'node:module';
import type { Argv } from 'yargs';
import { KeyFileError } from './keyfile.js';
import { guardStdio, writeStderr } from './stderr.js';

const require = createRequire(import.meta.url);
// The CommonJS build of yargs wraps help text at word boundaries; the ESM one cuts words.
const yargs = require('yargs/yargs') as (args: string[]) => Argv;
const { hideBin } = require('yargs/helpers') as { hideBin: (argv: string[]) => string[] };

/**
 * A yargs parser with the conventions of both programs: strict options, `--help` on every
 * command, exit 2 and a one-line hint for bad usage (a RangeError from a handler counts as
 * bad usage), exit 2 and the message for a refused key file (bad configuration), exit 1
 * with the message when the command itself fails. A broken stdout or stderr (EPIPE,
 * ENOSPC) never ends the process.
 */
export function createParser(name: string, usage: string, argv: string[] = hideBin(process.argv)): Argv {
  guardStdio();
  return yargs(argv)
    .scriptName(name)
    .usage(usage)
    .strict()
    .recommendCommands()
    .help()
    .alias('h', 'help')
    .version(false)
    .wrap(Math.min(100, process.stdout.columns || 100))
    .fail((message, error) => {
      if (error instanceof KeyFileError) {
        writeStderr(`${name}: ${error.message}\n`);
        process.exit(2);
      }
      if (error && !(error instanceof RangeError)) {
        writeStderr(`${name}: ${error.message}\n`);
        process.exit(1);
      }
      writeStderr(`${name}: ${message ?? error?.message}\nRun ${name} --help (or ${name} <command> --help) for usage.\n`);
      process.exit(2);
    });
}
