import { createRequire } from 'node:module';
import type { Argv } from 'yargs';
import { KeyFileError } from './keyfile.js';
import { guardStdio, writeStderr } from './stderr.js';

const require = createRequire(import.meta.url);
// The CommonJS build of yargs wraps help text at word boundaries; the ESM one cuts words.
const yargs = require('yargs/yargs') as (args: string[]) => Argv;
const { hideBin } = require('yargs/helpers') as { hideBin: (argv: string[]) => string[] };

// What a yargs instance has at run time and its types leave out
type Internals = { $0: string; getOptions(): { key: Record<string, unknown>; array: string[]; number: string[]; narg: Record<string, number | null> } };

export type ParserOptions = {
  /** Printed as `<name> <version>` by `--version`; without it there is no `--version`. */
  version?: string;
  /** The arguments (default: the process's). */
  argv?: string[];
  /** Options may also come from environment variables with this prefix (`MBCAP` → `MBCAP_DB` for `--db`); the command line wins. */
  envPrefix?: string;
};

/**
 * A yargs parser with the conventions of both programs: strict options, `--help` on every
 * command, `--version`, exit 2 and a one-line hint for bad usage (an option without its
 * value or given twice, a number option given something else, a RangeError from a
 * handler), exit 2 and the message for a refused key file (bad configuration), exit 1
 * with the message when the command itself fails; never a stack trace. A broken stdout or
 * stderr (EPIPE, ENOSPC) never ends the process. Run it with `runParser`.
 */
export function createParser(name: string, usage: string, options: ParserOptions = {}): Argv {
  guardStdio();
  const argv = options.argv ?? hideBin(process.argv);
  const parser: Argv = yargs(argv)
    .scriptName(name)
    .usage(usage)
    .strict()
    .recommendCommands()
    .help()
    .alias('h', 'help')
    .wrap(Math.min(100, process.stdout.columns || 100))
    .check((args) => checkValues(parser, args, argv), true)
    .fail((message, error) => exitOnFailure(name, fromEnvironment(message, options.envPrefix), error));
  if (options.envPrefix !== undefined) {
    const prefix = options.envPrefix;
    parser
      .env(prefix)
      .epilogue(
        `Every option can also be set in the environment as ${prefix}_<OPTION>, upper case with underscores (${prefix}_DB for --db, ${prefix}_HMAC_KEY_FILE for --hmac-key-file); an option on the command line wins.`,
      );
  }
  if (options.version === undefined) parser.version(false);
  else parser.version(`${name} ${options.version}`);
  return parser;
}

/** "Unknown argument: bogus" says where it came from when the environment set it (MBCAP_BOGUS). */
function fromEnvironment(message: string | null, prefix: string | undefined): string | null {
  const unknown = message === null || prefix === undefined ? null : /^Unknown arguments?: (.+)$/.exec(message);
  if (unknown === null) return message;
  const names = unknown[1]!.split(', ').map(
    (argument) =>
      `${prefix}_${argument
        .replace(/[A-Z]/g, (c) => `_${c}`)
        .replace(/-/g, '_')
        .toUpperCase()}`,
  );
  const set = names.filter((variable) => process.env[variable] !== undefined);
  return set.length === 0 ? message : `${message} (set in the environment as ${set.join(', ')}: no such option; unset it or correct its name)`;
}

/** Parses the arguments and runs the command; a failure, thrown at once or later, exits as `createParser` says. */
export async function runParser(parser: Argv): Promise<void> {
  try {
    await parser.parseAsync();
  } catch (error) {
    // A synchronous handler's error passes yargs by; the same rules apply to it
    exitOnFailure((parser as unknown as Internals).$0, null, error as Error);
  }
}

/** What yargs lets through: an option given twice, an empty value, a number option that is not one. */
function checkValues(parser: Argv, args: Record<string, unknown>, argv: string[]): true {
  const options = (parser as unknown as Internals).getOptions();
  for (const key of Object.keys(options.key)) {
    const value = args[key];
    if (Array.isArray(value) && !options.array.includes(key)) {
      throw new RangeError(`--${key} was given ${value.length} times (${value.join(', ')}); give it once`);
    }
    // requiresArg options are listed in narg
    if (value === '' && key in options.narg) throw new RangeError(`--${key} needs a value, got an empty one`);
    if (options.number.includes(key) && typeof value === 'number' && Number.isNaN(value)) {
      throw new RangeError(`Expected --${key} to be a number, got ${JSON.stringify(typed(argv, key))}`);
    }
  }
  return true;
}

/** The text typed after `--key` (or in `--key=text`). */
function typed(argv: string[], key: string): string {
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === `--${key}`) return argv[i + 1] ?? '';
    if (argv[i]!.startsWith(`--${key}=`)) return argv[i]!.slice(key.length + 3);
  }
  return '';
}

function exitOnFailure(name: string, message: string | null, error: Error | undefined): never {
  if (error instanceof KeyFileError) {
    writeStderr(`${name}: ${error.message}\n`);
    process.exit(2);
  }
  // Usage: yargs' own complaints (no error, or its YError) and RangeErrors from handlers
  if (error && !(error instanceof RangeError) && error.name !== 'YError') {
    writeStderr(`${name}: ${error.message}\n`);
    process.exit(1);
  }
  const text = (message ?? error?.message ?? 'bad usage').replace(/^Not enough arguments following: (.+)$/, '--$1 needs a value');
  writeStderr(`${name}: ${text}\nRun ${name} --help (or ${name} <command> --help) for usage.\n`);
  process.exit(2);
}
