// The times CoreScope stores as text (transmissions.first_seen, nodes.first_seen and
// last_seen) come in several ISO 8601 shapes: 2026-03-18T09:03:20.704Z, SQLite's
// 2026-03-26 20:56:05 (no zone means UTC), …+02:00, nanoseconds from Go, and Go's zero
// time 0001-01-01T00:00:00Z. They are compared as instants, never as strings; the importer
// and the server read them with this one parser.
const TIME = /^\s*(\d{4})-(\d\d)-(\d\d)(?:[Tt ](\d\d):(\d\d)(?::(\d\d)(?:[.,](\d+))?)?)?\s*(?:[Zz]|([+-])(\d\d)(?::?(\d\d))?)?\s*$/;
const DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
// 400 Gregorian years are exactly 146097 days: shifting by them keeps the leap rules.
const FOUR_CENTURIES = 146_097 * 86_400_000;

/** Milliseconds since the epoch, or null when `text` is not an ISO 8601 date(-time) (any year from 0000). */
export function parseFirstSeen(text: unknown): number | null {
  if (typeof text !== 'string') return null;
  const fast = parseCommonShape(text);
  if (fast !== undefined) return fast;
  const m = TIME.exec(text);
  if (m === null) return null;
  const year = +m[1]!,
    month = +m[2]!,
    day = +m[3]!;
  const hour = +(m[4] ?? 0),
    minute = +(m[5] ?? 0),
    second = +(m[6] ?? 0);
  const leap = month === 2 && year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 1 : 0;
  // Date.UTC would roll 02-30 into March and 24:00 into the next day; refuse instead.
  if (month < 1 || month > 12 || day < 1 || day > DAYS[month - 1]! + leap || hour > 23 || minute > 59 || second > 59) {
    return null;
  }
  const ms = m[7] === undefined ? 0 : +`${m[7]}00`.slice(0, 3);
  // Date.UTC reads years 0-99 as 1900-1999 (Go's zero time is 0001-01-01).
  const date = Date.UTC(year < 100 ? year + 400 : year, month - 1, day, hour, minute, second, ms);
  const offset = m[8] === undefined ? 0 : (m[8] === '-' ? -1 : 1) * (+m[9]! * 60 + +(m[10] ?? 0)) * 60_000;
  return date - (year < 100 ? FOUR_CENTURIES : 0) - offset;
}

// The shapes nearly every row has, `YYYY-MM-DDTHH:MM:SS[.fff]Z` and SQLite's
// `YYYY-MM-DD HH:MM:SS`, read digit by digit: a scan over a million packets spends more
// time here than anywhere else. Anything else (undefined) goes through the full grammar.
const dayCache = new Map<number, number | null>();

function digit(text: string, at: number): number {
  const d = text.charCodeAt(at) - 48;
  return d >= 0 && d <= 9 ? d : -1000;
}

function parseCommonShape(text: string): number | null | undefined {
  const n = text.length;
  if (n < 19 || text.charCodeAt(4) !== 45 || text.charCodeAt(7) !== 45 || text.charCodeAt(13) !== 58 || text.charCodeAt(16) !== 58) return undefined;
  const sep = text.charCodeAt(10);
  if (sep !== 84 && sep !== 32) return undefined;
  let end = n;
  if (text.charCodeAt(n - 1) === 90) end = n - 1;
  else if (sep === 84) return undefined; // a T without a Z: an offset, or no zone: the full grammar decides
  let ms = 0;
  if (end > 19) {
    if (text.charCodeAt(19) !== 46 || end === 20) return undefined;
    for (let i = 20; i < end; i++) {
      const d = digit(text, i);
      if (d < 0) return undefined;
      if (i < 23) ms += d * (i === 20 ? 100 : i === 21 ? 10 : 1);
    }
  }
  const year = digit(text, 0) * 1000 + digit(text, 1) * 100 + digit(text, 2) * 10 + digit(text, 3);
  const month = digit(text, 5) * 10 + digit(text, 6);
  const day = digit(text, 8) * 10 + digit(text, 9);
  const hour = digit(text, 11) * 10 + digit(text, 12);
  const minute = digit(text, 14) * 10 + digit(text, 15);
  const second = digit(text, 17) * 10 + digit(text, 18);
  if (year < 100 || month < 0 || day < 0 || hour < 0 || minute < 0 || second < 0) return undefined;
  if (hour > 23 || minute > 59 || second > 59) return null;
  const dayKey = year * 10000 + month * 100 + day;
  let dayMs = dayCache.get(dayKey);
  if (dayMs === undefined) {
    const leap = month === 2 && year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 1 : 0;
    dayMs = month < 1 || month > 12 || day < 1 || day > DAYS[month - 1]! + leap ? null : Date.UTC(year, month - 1, day);
    if (dayCache.size > 4096) dayCache.clear();
    dayCache.set(dayKey, dayMs);
  }
  return dayMs === null ? null : dayMs + hour * 3_600_000 + minute * 60_000 + second * 1000 + ms;
}
