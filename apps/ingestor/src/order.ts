// Which of two snapshots is newer: the one being read, or the last one applied (the
// ledger's). The wall clock alone cannot say: it steps back (NTP correcting a fast clock,
// a Raspberry Pi booting from fake-hwclock, or in 1970 without RTC or NTP), and then every
// later snapshot would look older than the last one applied until the clock caught up.
//
// The publisher numbers its snapshots (`seq`): each is one more than the file on disk, its
// own last one and the ledger's last applied seq, so the numbers grow across restarts,
// deleted files and garbage put in place of the file. Hence the rule, for two snapshots
// that both carry a seq:
//
//   newer  when its seq is higher (whatever its writtenAt says: the clock stepped back),
//          or when its writtenAt is later (its publisher started its numbering again, or
//          two publishers raced to the same seq and this one wrote last);
//   stale  when its seq is not higher and its writtenAt not later: a restored old file,
//          or the loser of two racing publishers.
//
// Without a seq on either side (files of the upstream Go writer): by writtenAt alone, an
// earlier one is stale and an equal one applied. A snapshot whose writtenAt is too far ahead
// of this clock is refused before this rule is asked (apply.ts).
import type { LedgerRow } from './ledger.js';

export type Stamp = { seq: number | null; writtenAtMs: number };

/** True when `snapshot` must not be applied over `last` (see above). */
export function isStale(snapshot: Stamp, last: Pick<LedgerRow, 'seq' | 'written_at_ms'>): boolean {
  const later = snapshot.writtenAtMs > last.written_at_ms;
  if (snapshot.seq !== null && last.seq !== null) return !(snapshot.seq > last.seq || later);
  return snapshot.writtenAtMs < last.written_at_ms;
}

/** How far this clock is behind the last applied writtenAt, in ms (0 when it is not). */
export function clockBehindMs(last: Pick<LedgerRow, 'written_at_ms'> | null, now: number): number {
  return last === null ? 0 : Math.max(0, last.written_at_ms - now);
}
