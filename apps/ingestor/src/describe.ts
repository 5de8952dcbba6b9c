// One log line per tick outcome, for a person reading the log.
import { formatDuration } from '@mbcap/cli';
import type { TickOutcome } from './tick.js';

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

function name(o: TickOutcome): string {
  return o.seq === null ? `snapshot of ${o.writtenAt}` : `snapshot seq ${o.seq}`;
}

/**
 * The one line that says a snapshot was refused (malformed, forged, unsigned, written too
 * far ahead): what was wrong, where its copy is (or why none was kept), and that the
 * database was left as it was.
 */
export function describeMalformed(m: { code: string; reason: string; copy: string | null; copyNote?: string | undefined }): string {
  const kept = m.copy ? `kept a copy at ${m.copy}; ` : m.copyNote ? `${m.copyNote}; ` : '';
  return `snapshot refused: ${REFUSAL_KIND[m.code] ?? 'unreadable'} (${m.code}: ${m.reason}); ${kept}database untouched; waiting for the next publish`;
}

/** What a refusal is, in words, by its code. */
const REFUSAL_KIND: Record<string, string> = {
  MALFORMED: 'malformed',
  INVALID_SCHEMA: 'not a valid snapshot',
  UNSUPPORTED_VERSION: 'an unsupported version',
  CHECKSUM_MISMATCH: 'its checksum does not match, damaged or edited',
  BAD_SIGNATURE: 'bad signature',
  UNSIGNED: 'unsigned',
  NOT_REGULAR_FILE: 'not a regular file',
  TOO_LARGE: 'too large',
  UNSAFE_DIRECTORY: 'unsafe directory',
  FUTURE: 'from the future',
};

export function describeOutcome(o: TickOutcome, dbPath: string): string {
  switch (o.status) {
    case 'applied': {
      const parts = [
        `${plural(o.updatedActive + o.updatedInactive, 'row')} updated (${o.updatedActive} nodes, ${o.updatedInactive} inactive_nodes)`,
        `${o.skipped} unknown skipped`,
      ];
      if (o.alreadyCurrent) parts.push(`${o.alreadyCurrent} already current`);
      if (o.keptHigher) parts.push(`${o.keptHigher} kept confirmed (the snapshot said suspected; clear with mbcap-ingestor reset)`);
      if (o.notFound) parts.push(`${plural(o.notFound, 'key')} not in the database`);
      if (o.invalid) parts.push(`${plural(o.invalid, 'invalid entry', 'invalid entries')} dropped`);
      const lag = o.lagMs === undefined || o.clockStepMs ? '' : `, ${formatDuration(o.lagMs)} after publish`;
      const step = o.clockStepMs
        ? `; its writtenAt (${o.writtenAt}) is ${formatDuration(o.clockStepMs)} before the previous snapshot's: the publisher's clock stepped back, and the higher seq made it newer. If the clock was just corrected (NTP), nothing to do; else fix the host clock (NTP, an RTC)`
        : '';
      return `applied ${name(o)} (${plural(o.read, 'entry', 'entries')}${o.forced ? ', forced' : ''}): ${parts.join(', ')}; in ${formatDuration(o.durationMs)}${lag}${step}`;
    }
    case 'unchanged':
      return `${name(o)} unchanged: ${o.reason}; nothing written`;
    case 'stale': {
      const behind = o.clockBehindMs
        ? `; this host's clock is ${formatDuration(o.clockBehindMs)} behind the last applied snapshot's writtenAt: check the clock (NTP, an RTC)`
        : '';
      return `${name(o)} is stale: ${o.reason}; nothing written (a restored old file, or the loser of two publishers; apply --force to apply it anyway)${behind}`;
    }
    case 'no-snapshot':
      return 'no snapshot yet; nothing to do';
    case 'malformed':
      return describeMalformed({ code: o.code ?? 'MALFORMED', reason: o.reason ?? '', copy: o.copy ?? null, copyNote: o.copyNote });
    case 'schema-missing':
      return `skipped: the database lacks ${o.missing?.join(', ')}; run: mbcap-ingestor migrate --db ${dbPath}`;
    case 'timed-out':
      return `${name(o)} not applied: it held the write lock longer than the limit of ${formatDuration(o.limitMs ?? 0)} (--max-apply-time) and was rolled back: nothing written, the lock released; the next snapshot (or the next apply) tries again. If snapshots are this large or the disk this slow for good, raise --max-apply-time; else look for what slows the database (another writer, a busy disk)`;
  }
}

/** The level of an outcome's log line: warn when an operator should look. */
export function levelOf(o: TickOutcome): 'info' | 'warn' {
  return o.status === 'malformed' || o.status === 'schema-missing' || o.status === 'timed-out' || o.clockStepMs || o.clockBehindMs ? 'warn' : 'info';
}
