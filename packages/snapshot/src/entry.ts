import { z } from 'zod';
import { MULTIBYTE_EVIDENCE, MULTIBYTE_STATUSES, type MultibyteEvidence, type MultibyteStatus } from './status.js';

/** One node's multi-byte capability, as the server computes it. */
export type MbcapEntry = {
  public_key: string;
  status: MultibyteStatus;
  evidence?: MultibyteEvidence;
};

export const mbcapEntrySchema: z.ZodType<MbcapEntry> = z.object({
  public_key: z.string().regex(/^[0-9a-fA-F]{2,64}$/, 'public_key must be 2 to 64 hex characters'),
  status: z.enum(MULTIBYTE_STATUSES),
  // The Go writer omits an empty evidence; an explicit "" means the same.
  evidence: z
    .union([z.enum(MULTIBYTE_EVIDENCE), z.literal('')])
    .optional()
    .transform((value) => (value ? value : undefined)),
});

const HEX_DIGIT = new Uint8Array(128);
for (const c of '0123456789abcdefABCDEF') HEX_DIGIT[c.charCodeAt(0)] = 1;

function isHexKey(key: string): boolean {
  const n = key.length;
  if (n < 2 || n > 64) return false;
  for (let i = 0; i < n; i++) {
    const c = key.charCodeAt(i);
    if (c > 127 || HEX_DIGIT[c] === 0) return false;
  }
  return true;
}

/**
 * The common well-formed entry, checked without zod (a snapshot holds up to millions of
 * them); anything else goes through the schema, which also explains what is wrong.
 */
export function isPlainMbcapEntry(value: unknown): value is MbcapEntry {
  if (typeof value !== 'object' || value === null) return false;
  const entry = value as Record<string, unknown>;
  const status = entry.status;
  const evidence = entry.evidence;
  let keys = 2;
  if (evidence !== undefined) {
    if (evidence !== 'advert' && evidence !== 'path') return false;
    keys = 3;
  }
  if (!(status === 'confirmed' || status === 'suspected' || status === 'unknown') || typeof entry.public_key !== 'string' || !isHexKey(entry.public_key))
    return false;
  // No other own key (counted without allocating an array)
  let count = 0;
  for (const key in entry) if (Object.hasOwn(entry, key)) count++;
  return count === keys;
}
