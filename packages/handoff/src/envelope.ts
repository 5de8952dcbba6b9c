import { z } from 'zod';
import { parseRfc3339 } from './time.js';

/** The envelope every handoff document shares; entries are validated one by one. */
export const envelopeSchema = z.looseObject({
  version: z.number().optional(),
  seq: z.number().int().nonnegative().optional(),
  writtenAt: z.string().refine((s) => parseRfc3339(s) !== null, {
    message: 'writtenAt must be an RFC 3339 time such as 2026-11-21T23:00:00.000Z',
  }),
  // Go marshals an empty (nil) slice as null.
  entries: z
    .array(z.unknown())
    .nullable()
    .transform((entries) => entries ?? []),
  checksum: z.string().optional(),
  signature: z.string().optional(),
});
