/** What went wrong with a snapshot file, as a stable string a program can switch on. */
export type SnapshotErrorCode =
  | 'NOT_FOUND'
  | 'UNSAFE_DIRECTORY'
  | 'NOT_REGULAR_FILE'
  | 'TOO_LARGE'
  | 'MALFORMED'
  | 'INVALID_SCHEMA'
  | 'UNSUPPORTED_VERSION'
  | 'CHECKSUM_MISMATCH'
  | 'BAD_SIGNATURE'
  | 'UNSIGNED';

export const SNAPSHOT_ERROR_CODES: readonly SnapshotErrorCode[] = [
  'NOT_FOUND',
  'UNSAFE_DIRECTORY',
  'NOT_REGULAR_FILE',
  'TOO_LARGE',
  'MALFORMED',
  'INVALID_SCHEMA',
  'UNSUPPORTED_VERSION',
  'CHECKSUM_MISMATCH',
  'BAD_SIGNATURE',
  'UNSIGNED',
];

/** What the refused file was on disk, for a copy that must not say more than it did. */
export type RefusedFile = { mode: number; nlink: number };

/**
 * A snapshot file that cannot be used. `path` names the file; `bytes` holds what was read
 * when there was something to read, and `file` its mode and link count, so the caller can
 * keep a copy for the operator.
 */
export class SnapshotError extends Error {
  override readonly name = 'SnapshotError';
  readonly code: SnapshotErrorCode;
  readonly path: string;
  readonly bytes: Buffer | undefined;
  readonly file: RefusedFile | undefined;

  constructor(code: SnapshotErrorCode, path: string, message: string, options: { cause?: unknown; bytes?: Buffer; file?: RefusedFile } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.path = path;
    this.bytes = options.bytes;
    this.file = options.file;
  }
}

export function isSnapshotError(error: unknown, code?: SnapshotErrorCode): error is SnapshotError {
  return error instanceof SnapshotError && (code === undefined || error.code === code);
}
