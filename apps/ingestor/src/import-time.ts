// first_seen comes in several ISO 8601 shapes (…Z, ….000Z, a space for the T, no zone,
// +02:00); times are compared as instants, never as strings.

// Date, optional time with optional fraction, optional zone; no zone means UTC (SQLite datetime()).
const TIME = /^\s*(\d{4})-(\d\d)-(\d\d)(?:[Tt ](\d\d):(\d\d)(?::(\d\d)(?:[.,](\d+))?)?)?\s*(?:[Zz]|([+-])(\d\d)(?::?(\d\d))?)?\s*$/;
const DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** Milliseconds since the epoch, or null when `text` is not an ISO 8601 date(-time). */
export function parseTime(text: unknown): number | null {
  const m = typeof text === 'string' ? TIME.exec(text) : null;
  if (m === null) return null;
  const year = +m[1]!, month = +m[2]!, day = +m[3]!;
  const hour = +(m[4] ?? 0), minute = +(m[5] ?? 0), second = +(m[6] ?? 0);
  const leap = month === 2 && year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 1 : 0;
  // Date.UTC would roll 02-30 into March; refuse it instead.
  if (year < 1000 || month < 1 || month > 12 || day < 1 || day > DAYS[month - 1]! + leap || hour > 23 || minute > 59 || second > 59) {
    return null;
  }
  const ms = m[7] === undefined ? 0 : +(m[7] + '00').slice(0, 3);
  const offset = m[8] === undefined ? 0 : (m[8] === '-' ? -1 : 1) * (+m[9]! * 60 + +(m[10] ?? 0)) * 60_000;
  return Date.UTC(year, month - 1, day, hour, minute, second, ms) - offset;
}
