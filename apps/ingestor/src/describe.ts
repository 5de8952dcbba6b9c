// One log line per tick outcome, for a person reading the log.
import { formatDuration } from '@mbcap/cli';
import type { TickOutcome } from './tick.js';

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

function name(o: TickOutcome): string {
  return o.seq === null ? `snapshot of ${o.writtenAt}` : `snapshot seq ${o.seq}`;
}

export function describeOutcome(o: TickOutcome, dbPath: string): string {
  switch (o.status) {
    case 'applied': {
      const parts = [
        `${plural(o.updatedActive + o.updatedInactive, 'row')} updated (${o.updatedActive} nodes, ${o.updatedInactive} inactive_nodes)`,
        `${o.skipped} unknown skipped`,
      ];
      if (o.alreadyCurrent) parts.push(`${o.alreadyCurrent} already current`);
      if (o.notFound) parts.push(`${plural(o.notFound, 'key')} not in the database`);
      if (o.invalid) parts.push(`${plural(o.invalid, 'invalid entry', 'invalid entries')} dropped`);
      const lag = o.lagMs === undefined ? '' : `, ${formatDuration(o.lagMs)} after publish`;
      return `applied ${name(o)} (${plural(o.read, 'entry', 'entries')}${o.forced ? ', forced' : ''}): ${parts.join(', ')}; in ${formatDuration(o.durationMs)}${lag}`;
    }
    case 'unchanged':
      return `${name(o)} unchanged: ${o.reason}; nothing written`;
    case 'stale':
      return `${name(o)} is stale: ${o.reason}; nothing written (apply --force to apply it anyway)`;
    case 'no-snapshot':
      return 'no snapshot yet; nothing to do';
    case 'malformed': {
      const kept = o.copy ? `kept a copy at ${o.copy}; ` : '';
      return `snapshot malformed (${o.code}: ${o.reason}); ${kept}database untouched; waiting for the next publish`;
    }
    case 'schema-missing':
      return `skipped: the database lacks ${o.missing?.join(', ')}; run: mbcap-ingestor migrate --db ${dbPath}`;
  }
}
