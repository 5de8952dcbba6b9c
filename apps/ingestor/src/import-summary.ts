// What an import did, as one object (--json) and as one line for people.

import { formatDuration } from '@mbcap/cli';

export type ImportStatus =
  /** Every line was read. */
  | 'complete'
  /** SIGINT/SIGTERM: the batch in progress was committed, the rest not read. */
  | 'interrupted'
  /** More bad lines than --max-bad. */
  | 'too-many-bad'
  /** The input or the database failed mid-way; committed batches are kept. */
  | 'failed';

export type ImportSummary = {
  status: ImportStatus;
  /** The file, or "-" for stdin. */
  file: string;
  /** Non-blank lines read. */
  read: number;
  /** Transmissions inserted. */
  stored: number;
  /** Lines whose hash was already stored (before or earlier in this input). */
  duplicates: number;
  /** Lines skipped as unusable. */
  bad: number;
  /** Rows inserted into nodes by adverts. */
  nodesCreated: number;
  /** Advert updates of existing rows in nodes / in inactive_nodes. */
  nodesUpdated: number;
  inactiveUpdated: number;
  durationMs: number;
  linesPerSecond: number;
  /** Why it stopped early (interrupted, too-many-bad, failed). */
  reason?: string;
};

const n = (value: number): string => value.toLocaleString('en-US');

export function describeSummary(summary: ImportSummary): string {
  const source = summary.file === '-' ? 'stdin' : summary.file;
  const head = summary.status === 'complete' ? `imported ${source}` : `import of ${source} stopped (${summary.reason ?? summary.status}); committed so far`;
  return (
    `${head}: ${n(summary.read)} lines read, ${n(summary.stored)} stored, ${n(summary.duplicates)} duplicates, ${n(summary.bad)} bad; ` +
    `nodes: ${n(summary.nodesCreated)} created, ${n(summary.nodesUpdated)} updated, ${n(summary.inactiveUpdated)} updated in inactive_nodes; ` +
    `in ${formatDuration(summary.durationMs)} (${n(summary.linesPerSecond)} lines/s)`
  );
}
