import { closeSync, constants, fstatSync, openSync, readFileSync, type Stats } from 'node:fs';
import type { Logger } from './log.js';

export const MIN_KEY_BYTES = 16;

/** How to make a key file the programs accept; for messages and `--help`. */
export const KEY_FILE_RULES = `a regular file, not writable by group or others, holding ${MIN_KEY_BYTES}+ bytes (trailing whitespace is not part of the key); make one with: head -c 32 /dev/urandom | base64 > FILE; chmod 600 FILE`;

export type KeyFileErrorCode = 'UNREADABLE' | 'NOT_A_FILE' | 'WRITABLE_BY_OTHERS' | 'TOO_SHORT';

/** A key file the programs refuse: bad configuration, so both exit 2 with the message. */
export class KeyFileError extends Error {
  override readonly name = 'KeyFileError';
  constructor(
    message: string,
    readonly code: KeyFileErrorCode,
    readonly path: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** `verify`: the ingestor requires signed snapshots; `sign`: the server signs what it publishes. */
export type KeyUse = 'verify' | 'sign';

/**
 * The HMAC key kept in a file: its content without trailing whitespace (so an editor's
 * final newline is not part of the key). Refused with a KeyFileError when the file is not
 * a regular file, is writable by group or others, or holds fewer than 16 bytes. With `log`,
 * says which file and how long a key is in use (never the key), and warns when every user
 * can read it.
 */
export function readKeyFile(path: string | undefined, options: { use: KeyUse; log?: Logger }): Buffer | undefined {
  if (path === undefined) return undefined;
  const makeOne = `make one with: head -c 32 /dev/urandom | base64 > ${path}; chmod 600 ${path}`;

  // Open without blocking (a FIFO would wait for a writer), then judge what was opened
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    throw new KeyFileError(`cannot read the HMAC key file ${path}: ${(error as Error).message}${accessAdvice(error, path)}`, 'UNREADABLE', path, {
      cause: error,
    });
  }
  let text: Buffer;
  let mode: number;
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) {
      throw new KeyFileError(`the HMAC key file ${path} is not a regular file (${kind(stat)}); give the path of a file that holds the key`, 'NOT_A_FILE', path);
    }
    mode = stat.mode & 0o777;
    if (mode & 0o022) {
      throw new KeyFileError(
        `the HMAC key file ${path} is writable by ${mode & 0o002 ? 'every user' : 'its group'} (mode ${octal(mode)}), who could replace the key; run chmod go-w ${path}`,
        'WRITABLE_BY_OTHERS',
        path,
      );
    }
    text = readFileSync(fd);
  } catch (error) {
    if (error instanceof KeyFileError) throw error;
    throw new KeyFileError(`cannot read the HMAC key file ${path}: ${(error as Error).message}`, 'UNREADABLE', path, { cause: error });
  } finally {
    closeSync(fd);
  }

  // The key: the content without trailing whitespace
  let end = text.length;
  while (end > 0 && /\s/.test(String.fromCharCode(text[end - 1]!))) end--;
  if (end < MIN_KEY_BYTES) {
    const what = end === 0 ? 'is empty' : `holds only ${end} bytes of key`;
    throw new KeyFileError(`the HMAC key file ${path} ${what}; at least ${MIN_KEY_BYTES} bytes are needed; ${makeOne}`, 'TOO_SHORT', path);
  }
  const key = text.subarray(0, end);

  // Say what is in force
  const fields = { keyFile: path, keyBytes: key.length, signatures: options.use === 'verify' ? 'required' : 'produced' };
  if (mode & 0o004) {
    options.log?.warn(
      'hmac-key-readable',
      `WARNING: the HMAC key file ${path} is readable by every user on this machine (mode ${octal(mode)}): any of them can sign a snapshot that will be accepted; run chmod o-r ${path}`,
      { ...fields, mode: octal(mode) },
    );
  }
  if (options.use === 'verify') {
    options.log?.info(
      'hmac-key',
      `signatures required: only snapshots signed with HMAC-SHA256 under the ${key.length}-byte key in ${path} are accepted`,
      fields,
    );
  } else {
    options.log?.info('hmac-key', `signatures produced: every snapshot is signed with HMAC-SHA256 under the ${key.length}-byte key in ${path}`, fields);
  }
  return key;
}

/** For a key this user may not read: who it is, and the README's way to let both programs read it. */
function accessAdvice(error: unknown, path: string): string {
  if ((error as NodeJS.ErrnoException).code !== 'EACCES') return '';
  return `; this user (uid ${process.getuid?.() ?? '?'}) may not read it: give it read access through the file's group, not write (as in the README's deployment: chgrp mesh ${path}; chmod 640 ${path})`;
}

function octal(mode: number): string {
  return `0${mode.toString(8).padStart(3, '0')}`;
}

function kind(stat: Stats): string {
  if (stat.isDirectory()) return 'a directory';
  if (stat.isFIFO()) return 'a named pipe';
  if (stat.isSocket()) return 'a socket';
  if (stat.isCharacterDevice() || stat.isBlockDevice()) return 'a device';
  return 'not a file';
}
