// The apply rule: what a snapshot does to nodes / inactive_nodes, all of it in this file.
// write-rows.ts finds the rows and executes what these tables and functions decide.
//
// 1. Whether a snapshot is applied at all, against the last one applied (the ledger):
//
//      its writtenAt more than maxFutureMs ahead of this clock    future: refused, even forced
//      the same content as the last one applied                    unchanged: nothing written
//      older than the last one applied (below)                     stale: nothing written
//      otherwise (or forced)                                       applied
//
//    The wall clock alone cannot say which is older: it steps back (NTP correcting a fast
//    clock, a Raspberry Pi booting from fake-hwclock, or in 1970 without RTC or NTP). The
//    publisher numbers its snapshots (`seq`), one more than the file on disk, its own last
//    one and the ledger's last applied seq, so the numbers grow across restarts, deleted
//    files and garbage put in place of the file. For two snapshots that both carry a seq:
//
//      newer  when its seq is higher (whatever its writtenAt says: the clock stepped back),
//             or its writtenAt is later (its publisher started its numbering again, or two
//             publishers raced to one seq and this one wrote last);
//      stale  when its seq is not higher and its writtenAt not later.
//
//    Without a seq on either side (files of the upstream Go writer): by writtenAt alone, an
//    earlier one is stale and an equal one applied.
//
// 2. Which entry of a key: a key given more than once (or, in a table whose keys compare
//    without case, in two cases) is written with its strongest entry, whatever the order:
//    RANK below, confirmed over suspected, then evidence advert over path over none.
//    `unknown` ranks 0: it is never written, so a blank never destroys a known value.
//
// 3. Which row an entry names: the first row, in nodes then inactive_nodes, whose
//    public_key equals the entry's key as that table compares keys (exactly, unless a
//    legacy table declares another collation). A key in both tables is written in nodes.
//    No row: counted in notFound, nothing inserted.
//
// 4. What the entry does to that row: a stored value only rises.
//
//      the row's multibyte_sup, against the entry's   what happens
//      lower, or NULL                                   WRITE the entry's sup and evidence
//      equal, and the same evidence                     CURRENT: nothing written
//      equal, other evidence                            WRITE
//      higher                                           KEPT_HIGHER: the row is kept, counted
//
//    A node once confirmed runs firmware that can send multi-byte paths; its adverts merely
//    left the window, so a later `suspected` must not take that back. Clearing a value is an
//    operator's act (`mbcap-ingestor reset`), never a side effect of a snapshot.
import { MULTIBYTE_SUP, mbcapParts } from '@mbcap/snapshot';
import type { LedgerRow } from './ledger.js';

// 1. Whether a snapshot is applied

export const DEFAULT_MAX_FUTURE_MS = 10 * 60_000;

export type Stamp = { seq: number | null; writtenAtMs: number };

/** How far ahead of `now` a snapshot was written, in ms, when that is more than `maxFutureMs`; else null. */
export function aheadOfClock(snapshot: Stamp, now: number, maxFutureMs: number): number | null {
  const ahead = snapshot.writtenAtMs - now;
  return ahead > maxFutureMs ? ahead : null;
}

/** True when `snapshot` holds what the last applied one held (the same bytes). */
export function isUnchanged(contentHash: string, last: Pick<LedgerRow, 'content_hash'>): boolean {
  return contentHash === last.content_hash;
}

/** True when `snapshot` must not be applied over `last` (see the top of this file). */
export function isStale(snapshot: Stamp, last: Pick<LedgerRow, 'seq' | 'written_at_ms'>): boolean {
  const later = snapshot.writtenAtMs > last.written_at_ms;
  if (snapshot.seq !== null && last.seq !== null) return !(snapshot.seq > last.seq || later);
  return snapshot.writtenAtMs < last.written_at_ms;
}

/** How far this clock is behind the last applied writtenAt, in ms (0 when it is not). */
export function clockBehindMs(last: Pick<LedgerRow, 'written_at_ms'> | null, now: number): number {
  return last === null ? 0 : Math.max(0, last.written_at_ms - now);
}

// 2. and 4. The entry codes (mbcapParts: code = 3 * status + evidence), what each writes and how strong it is

/** The row values an entry code writes. */
export type RowValue = { sup: number; evidence: string | null };

/** What the evidence of an entry is worth against another of the same status. */
const EVIDENCE_RANK = { advert: 3, path: 2, none: 1 } as const;
/** What the status of an entry is worth; unknown: nothing, never written. */
const STATUS_RANK = { confirmed: 2, suspected: 1, unknown: 0 } as const;

/** Every code the snapshot's codec defines (0 to 8). */
export const CODE_COUNT = 9;
const CODES = Array.from({ length: CODE_COUNT }, (_, code) => mbcapParts(code));

/** code → the row value it writes, or null: never written (unknown). */
export const WRITES: readonly (RowValue | null)[] = CODES.map(({ status, evidence }) =>
  status === 'unknown' ? null : { sup: MULTIBYTE_SUP[status], evidence: evidence ?? null },
);

/** How strong what a code says is, from 0 (never written) up; of a key's entries, the highest wins. */
export function entryRank(code: number): number {
  const parts = CODES[code];
  if (parts === undefined || STATUS_RANK[parts.status] === 0) return 0;
  return 3 * (STATUS_RANK[parts.status] - 1) + EVIDENCE_RANK[parts.evidence ?? 'none'];
}

// 4. What an entry does to a stored row

/**
 * A row's value as one number, its state: 4 * multibyte_sup + the place of its evidence
 * here (none 0, advert 1, path 2, anything else 3). NULL multibyte_sup counts as -1, below
 * unknown. The writer reads it with ROW_STATE_SQL, written from this same list.
 */
const ROW_EVIDENCE: readonly (string | null)[] = [null, 'advert', 'path'];
const OTHER_EVIDENCE = ROW_EVIDENCE.length;

/** The state of a row, as an SQL expression over its columns. */
export const ROW_STATE_SQL = `coalesce(multibyte_sup, -1) * 4 + CASE ${ROW_EVIDENCE.map((e, i) => (e === null ? `WHEN multibyte_evidence IS NULL THEN ${i}` : `WHEN multibyte_evidence = '${e}' THEN ${i}`)).join(' ')} ELSE ${OTHER_EVIDENCE} END`;

/** The state of a row holding (sup, evidence), as ROW_STATE_SQL computes it. */
export function rowState(sup: number | null, evidence: string | null): number {
  const e = ROW_EVIDENCE.indexOf(evidence);
  return (sup ?? -1) * 4 + (e < 0 ? OTHER_EVIDENCE : e);
}

/** code → the state of a row holding what it writes */
const STATE_OF = WRITES.map((value) => (value === null ? null : rowState(value.sup, value.evidence)));

export const WRITE = 0;
export const CURRENT = 1;
export const KEPT_HIGHER = 2;
export type Verdict = typeof WRITE | typeof CURRENT | typeof KEPT_HIGHER;

/** The table of 4., for a row in `state` and an entry code that is written (WRITES[code] not null). */
export function verdict(state: number, code: number): Verdict {
  if (state === STATE_OF[code]) return CURRENT;
  return Math.floor(state / 4) > WRITES[code]!.sup ? KEPT_HIGHER : WRITE;
}
