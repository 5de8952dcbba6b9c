import { readFileSync } from 'node:fs';

/**
 * The HMAC key kept in a file: its content without trailing whitespace (so an editor's
 * final newline is not part of the key). Throws an Error a person can act on.
 */
export function readKeyFile(path: string | undefined): Buffer | undefined {
  if (path === undefined) return undefined;
  let text: Buffer;
  try {
    text = readFileSync(path);
  } catch (error) {
    throw new Error(`cannot read the HMAC key file ${path}: ${(error as Error).message}`);
  }
  let end = text.length;
  while (end > 0 && /\s/.test(String.fromCharCode(text[end - 1]!))) end--;
  if (end === 0) throw new Error(`the HMAC key file ${path} is empty`);
  return text.subarray(0, end);
}
