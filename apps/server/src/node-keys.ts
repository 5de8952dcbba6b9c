// Which node rows a snapshot can name. The snapshot package's own entry schema decides, so
// the rule for a key has one home: a row it refuses (a trailing space, an empty or NULL key,
// non-hex) is left out of the computation, counted, and named in the log, /healthz and
// /metrics, while every other node is still published.
import { mbcapEntrySchema } from '@mbcap/snapshot';

export type NodeTable = 'nodes' | 'inactive_nodes';

/** A refused row: its table and its key as text (NULL as null; a BLOB as X'…'). */
export type SkippedRow = { table: NodeTable; key: string | null };

export type SkippedRows = {
  count: number;
  byTable: Record<NodeTable, number>;
  /** Why the first one was refused, in the schema's words. */
  reason: string | null;
  /** The first few, in table order. */
  samples: SkippedRow[];
};

export const SKIPPED_SAMPLES = 5;

/** null when `key` can name a snapshot entry, else why not. */
export function keyProblem(key: unknown): string | null {
  const parsed = mbcapEntrySchema.safeParse({ public_key: key, status: 'unknown' });
  if (parsed.success) return null;
  return parsed.error.issues[0]?.message ?? 'the snapshot schema refuses this public_key';
}

/** Counts refused rows and keeps the first few. */
export function createSkipCollector() {
  const skipped: SkippedRows = { count: 0, byTable: { nodes: 0, inactive_nodes: 0 }, reason: null, samples: [] };
  return {
    add(table: NodeTable, key: unknown, reason: string): void {
      skipped.count++;
      skipped.byTable[table]++;
      skipped.reason ??= reason;
      if (skipped.samples.length < SKIPPED_SAMPLES) skipped.samples.push({ table, key: keyText(key) });
    },
    result: (): SkippedRows => skipped,
  };
}

function keyText(key: unknown): string | null {
  if (key === null || key === undefined) return null;
  if (typeof key === 'string') return key;
  if (key instanceof Uint8Array) return `X'${Buffer.from(key).toString('hex')}'`;
  return String(key);
}

const MAX_KEY_CHARS = 80;

/**
 * A key for a log line: JSON-quoted (so no control character can break the line, and an
 * empty key or a trailing space shows), long ones cut; NULL unquoted.
 */
export function quoteKey(key: string | null): string {
  if (key === null) return 'NULL';
  const cut = key.length > MAX_KEY_CHARS ? `${key.slice(0, MAX_KEY_CHARS)}…` : key;
  // JSON.stringify leaves DEL, the C1 controls and the Unicode line separators as they are
  return JSON.stringify(cut).replace(/[\u007f-\u009f\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** "skipped 3 rows … nodes "AB12 ", nodes NULL, …" for the publish log line; '' when none. */
export function describeSkipped(skipped: SkippedRows): string {
  if (skipped.count === 0) return '';
  const named = skipped.samples.map((s) => `${s.table} ${quoteKey(s.key)}`).join(', ');
  const more = skipped.count > skipped.samples.length ? ` and ${skipped.count - skipped.samples.length} more` : '';
  const rows = skipped.count === 1 ? '1 row' : `${skipped.count} rows`;
  return `skipped ${rows} whose public_key no snapshot entry can carry (${skipped.reason}): ${named}${more}; correct or delete them in the database to publish them`;
}
