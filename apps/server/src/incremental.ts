// `run`'s computation: one full pass, then each step reads only the transmissions added
// since (by rowid: CoreScope's AUTOINCREMENT never reuses an id) and takes out the rows that
// left the window, so its cost follows the new work, not the history. Whatever the index
// cannot follow is answered with a full pass, and its reason is said: rows deleted, the
// highest id going back, the row last read changed (a restore), the file replaced, the
// schema changed, the clock going back, and every --resync as a safety net. At every step
// the result equals computeCapabilities over the same database at the same time; a
// differential test holds them equal.
import { statSync } from 'node:fs';
import type { ComputeResult } from './compute.js';
import { readNodes } from './compute.js';
import { openServerDatabase, type ServerDatabase } from './database.js';
import { createEvidenceIndex, type EvidenceIndex } from './evidence.js';
import type { NodeRow, PacketRow } from './capability.js';
import type { SkippedRows } from './node-keys.js';

export type IncrementalOptions = {
  dbPath: string;
  /** How far back packets count, in ms; null = all of them. */
  windowMs: number | null;
  /** A full pass at least this often, whatever else happens. */
  resyncMs: number;
};

/** What one step did. */
export type Step = {
  /** Why this step was a full pass, or null when it read only the new rows. */
  full: string | null;
  /** New rows read (every row on a full pass). */
  read: number;
  /** Rows that left the window. */
  expired: number;
  /** Whether some node's status may differ from the last result's. */
  statusChanged: boolean;
  /** Whether anything in the result differs: a status, an explanation, a node. */
  changed: boolean;
};

export type Incremental = {
  /** Brings the index up to the database and the clock; `refreshNodes` re-reads the node rows even if none was added or removed. */
  step(now: number, options?: { refreshNodes?: boolean }): Step;
  /** The result as of the last step (computed again only when something changed). */
  result(): ComputeResult;
  /** The connection the last step read through. */
  source(): ServerDatabase;
  /** Closes the connection; the next step is a full pass, for `reason`. */
  reset(reason: string): void;
  close(): void;
};

const PACKET_COLUMNS = (source: ServerDatabase) => `raw_hex, payload_type, decoded_json, first_seen, ${source.hasPathJson ? 'path_json' : 'NULL'}, rowid`;

export function createIncremental(options: IncrementalOptions): Incremental {
  const { dbPath, windowMs, resyncMs } = options;
  let source: ServerDatabase | null = null;
  let fileId = '';
  let schemaVersion = -1;
  let index: EvidenceIndex = createEvidenceIndex(windowMs);
  /** The highest rowid read, its row's hash, and how many rows have a rowid up to it. */
  let lastId = 0;
  let lastHash: string | null = null;
  let rowCount = 0;
  let fullAt = -Infinity;
  let lastNow = -Infinity;
  let nodes: NodeRow[] = [];
  let skippedRows: SkippedRows | null = null;
  let nodesMark = '';
  let cached: ComputeResult | null = null;
  let rowsRead = 0;
  let pending = 'first pass';

  const identityOf = () => {
    const stats = statSync(dbPath, { bigint: true });
    return `${stats.dev}:${stats.ino}`;
  };

  function reopen(): ServerDatabase {
    source?.db.close();
    source = null;
    fileId = identityOf();
    source = openServerDatabase(dbPath);
    schemaVersion = source.db.pragma('schema_version', { simple: true }) as number;
    return source;
  }

  /** Rows of both node tables, counted and the highest rowid: a node added, removed or moved changes it. */
  function markOf(s: ServerDatabase): string {
    const tables = s.hasInactive ? ['nodes', 'inactive_nodes'] : ['nodes'];
    return tables.map((t) => JSON.stringify(s.db.prepare(`SELECT count(*), max(rowid) FROM ${t}`).raw().get())).join(' ');
  }

  function hashAt(s: ServerDatabase, rowid: number): string | null {
    const hash = s.db.prepare('SELECT hash FROM transmissions WHERE rowid = ?').pluck().get(rowid);
    return typeof hash === 'string' ? hash : null;
  }

  function rereader(s: ServerDatabase) {
    const statement = s.db.prepare(`SELECT ${PACKET_COLUMNS(s)} FROM transmissions WHERE rowid = ?`).raw();
    return (rowids: number[]) => {
      const rows = new Map<number, PacketRow>();
      for (const rowid of rowids) {
        const found = statement.get(rowid) as unknown[] | undefined;
        if (found !== undefined) rows.set(rowid, packetRow(found));
      }
      return rows;
    };
  }

  /** Reads the rows after rowid `after` (null: every row), in rowid order, into the index; returns how many. */
  function readAfter(s: ServerDatabase, after: number | null): number {
    let read = 0;
    const row: PacketRow = { raw_hex: '', payload_type: null, decoded_json: null, first_seen: '', path_json: null, rowid: 0 };
    const where = after === null ? '' : 'WHERE rowid > ?';
    const statement = s.db.prepare(`SELECT ${PACKET_COLUMNS(s)} FROM transmissions ${where} ORDER BY rowid`).raw();
    for (const values of (after === null ? statement.iterate() : statement.iterate(after)) as Iterable<
      [string, number | null, string | null, string, string | null, number]
    >) {
      row.raw_hex = values[0];
      row.payload_type = values[1];
      row.decoded_json = values[2];
      row.first_seen = values[3];
      row.path_json = values[4];
      row.rowid = values[5];
      index.add(row);
      lastId = values[5];
      read++;
    }
    return read;
  }

  /** Why the index cannot follow the database by reading new rows, or null when it can. */
  function invalid(s: ServerDatabase, now: number, total: number, newer: number): string | null {
    if (now < lastNow) return `the clock went back ${Math.round(lastNow - now)} ms`;
    if (now - fullAt >= resyncMs) return `${Math.round((now - fullAt) / 1000)} s since the last full pass (--resync)`;
    const max = (s.db.prepare('SELECT max(rowid) FROM transmissions').pluck().get() as number | null) ?? 0;
    if (max < lastId) return `the highest transmissions id went back from ${lastId} to ${max}`;
    if (lastId > 0 && hashAt(s, lastId) !== lastHash) return `the transmission with id ${lastId} changed or is gone: the database was restored or rewritten`;
    const older = total - newer;
    if (older !== rowCount) {
      const gone = rowCount - older;
      return gone > 0
        ? `${gone === 1 ? '1 transmission was' : `${gone} transmissions were`} deleted (retention or by hand)`
        : `${-gone} transmissions appeared below id ${lastId}`;
    }
    return null;
  }

  function step(now: number, { refreshNodes = false } = {}): Step {
    // The file replaced or the schema changed: a new connection, a full pass
    let full: string | null = null;
    if (source === null) {
      reopen();
      full = pending;
    } else if (identityOf() !== fileId) {
      reopen();
      full = 'the database file was replaced';
    } else if ((source.db.pragma('schema_version', { simple: true }) as number) !== schemaVersion) {
      reopen();
      full = 'the schema changed';
    }
    const s = source!;

    // One read transaction: the counts, the checks and the rows agree with each other
    const outcome = s.db.transaction((): Step => {
      const total = s.db.prepare('SELECT count(*) FROM transmissions').pluck().get() as number;
      const newer = s.db.prepare('SELECT count(*) FROM transmissions WHERE rowid > ?').pluck().get(lastId) as number;
      full ??= invalid(s, now, total, newer);
      let read = 0;
      let expired = 0;
      if (full === null) {
        index.setNow(now);
        read = readAfter(s, lastId);
        const before = index.stats().counted;
        if (index.expire(rereader(s))) expired = before - index.stats().counted;
        else full = 'a transmission leaving the window is gone or changed since it was read';
      }
      if (full !== null) {
        index = createEvidenceIndex(windowMs);
        index.setNow(now);
        lastId = 0;
        read = readAfter(s, null);
        fullAt = now;
      }
      rowCount = total;
      lastHash = lastId > 0 ? hashAt(s, lastId) : null;
      rowsRead = read;

      const mark = markOf(s);
      const nodesChanged = full !== null || refreshNodes || mark !== nodesMark;
      if (nodesChanged) {
        ({ nodes, skipped: skippedRows } = readNodes(s));
        nodesMark = mark;
      }
      const changes = index.takeChanges();
      return { full, read, expired, statusChanged: full !== null || nodesChanged || changes.status, changed: full !== null || nodesChanged || changes.kept };
    })();
    lastNow = now;
    if (outcome.changed || cached === null) cached = materialize(now);
    else {
      // Nothing to compute again; the window and the time move on
      const since = index.since();
      cached = {
        ...cached,
        stats: { ...cached.stats, packets: outcome.read },
        computedAt: new Date(now).toISOString(),
        windowStart: since === null ? null : new Date(since).toISOString(),
        kept: cached.kept === null ? null : { ...cached.kept, since, computedAt: now },
      };
    }
    return outcome;
  }

  function materialize(now: number): ComputeResult {
    const { entries, kept } = index.materialize(nodes, now);
    const counts = { confirmed: 0, suspected: 0, unknown: 0 };
    for (const entry of entries) counts[entry.status]++;
    const since = index.since();
    return {
      entries,
      stats: { packets: rowsRead, inWindow: index.stats().counted, skipped: index.stats().skipped },
      counts,
      skippedRows: skippedRows!,
      computedAt: new Date(now).toISOString(),
      windowStart: since === null ? null : new Date(since).toISOString(),
      kept,
    };
  }

  return {
    step,
    result() {
      if (cached === null) throw new Error('no step has run yet');
      return cached;
    },
    source() {
      if (source === null) throw new Error('no step has run yet');
      return source;
    },
    reset(reason) {
      source?.db.close();
      source = null;
      cached = null;
      pending = reason;
    },
    close() {
      source?.db.close();
      source = null;
    },
  };
}

function packetRow(values: unknown[]): PacketRow {
  const [raw_hex, payload_type, decoded_json, first_seen, path_json, rowid] = values as [string, number | null, string | null, string, string | null, number];
  return { raw_hex, payload_type, decoded_json, first_seen, path_json, rowid };
}
