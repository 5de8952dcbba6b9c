// The apply rule for one row: a stored value only ever rises.
//
//   the snapshot's sup higher than the row's              write
//   equal sup, other evidence (or the same, re-stated)    write when it differs, else current
//   the snapshot's sup lower than the row's               keep the row (held back, counted)
//
// A node once confirmed runs firmware that can send multi-byte paths; its adverts merely
// left the window, so a later `suspected` must not take that back. Clearing a value is an
// operator's act (`mbcap-ingestor reset`), never a side effect of a snapshot. `unknown` is
// never written at all (write-rows.ts skips it before asking).
//
// A row's value is one number, its state: 4 * multibyte_sup + 0 (no evidence), 1 (advert),
// 2 (path), 3 (anything else); NULL multibyte_sup counts as -1, below unknown. A snapshot
// code (mbcapParts) maps to the same.
import { MULTIBYTE_SUP, mbcapParts } from '@mbcap/snapshot';

/** The state of a row, as an SQL expression over its columns. */
export const STATE_SQL =
  "coalesce(multibyte_sup, -1) * 4 + CASE WHEN multibyte_evidence IS NULL THEN 0 WHEN multibyte_evidence = 'advert' THEN 1 WHEN multibyte_evidence = 'path' THEN 2 ELSE 3 END";

const CODES = Array.from({ length: 9 }, (_, code) => mbcapParts(code));
/** code → multibyte_sup, multibyte_evidence, state */
export const SUP_OF = CODES.map(({ status }) => MULTIBYTE_SUP[status]);
export const EVIDENCE_OF = CODES.map(({ evidence }) => evidence ?? null);
export const STATE_OF = CODES.map(({ status, evidence }) => MULTIBYTE_SUP[status] * 4 + (evidence === 'advert' ? 1 : evidence === 'path' ? 2 : 0));

/** What to do with a row: write the snapshot's value, nothing (it holds it), or keep a higher one. */
export const WRITE = 0;
export const CURRENT = 1;
export const KEPT_HIGHER = 2;
export type Verdict = typeof WRITE | typeof CURRENT | typeof KEPT_HIGHER;

/** The rule above, for a row in `state` and a (never unknown) snapshot `code`. */
export function verdict(state: number, code: number): Verdict {
  if (state === STATE_OF[code]) return CURRENT;
  return Math.floor(state / 4) > SUP_OF[code]! ? KEPT_HIGHER : WRITE;
}
