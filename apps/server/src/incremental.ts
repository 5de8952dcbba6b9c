// `run`'s computation: one full pass, then each step reads only the transmissions added
// since (by rowid: CoreScope's AUTOINCREMENT never reuses an id) and takes out the rows that
// left the window, so its cost follows the new work, not the history. Whatever the index
// cannot follow is answered with a full pass, and its reason is said: rows deleted, the
// highest id going back, the row last read changed (a restore), the file replaced, the
// schema changed, the clock going back, and every --resync as a safety net. At every step
// the result equals computeCapabilities over the same database at the same time; a
// differential test holds them equal.
import type { ComputeResult } from './compute.js';
import { readNodes } from './compute.js';
import { fileIdOf, openServerDatabase, type ServerDatabase } from './database.js';
import { createEvidenceIndex, type EvidenceIndex } from './evidence.js';
import { entryOf, indexKeys, type CapabilityEntry, type NodeRow, type PacketRow } from './capability.js';
import { createKeptArrays, growKept, type KeptEvidence } from './kept.js';
import { keyProblem, type NodeTable } from './node-keys.js';
import type { SkippedRows } from './node-keys.js';

type TableMark = { count: number; max: number | null };
import { packetColumns, packetScanSql, type ScanRow } from './scan.js';

export type IncrementalOptions = {
  dbPath: string;
  /** How far back packets count, in ms; null = all of them. */
  windowMs: number | null;
  /** A full pass at least this often, whatever else happens. */
  resyncMs: number;
  /**
   * Rows are counted (to notice rows deleted from the middle) at most this often; 0: every
   * step. Counting walks an index (about 20 ms on 1M rows without a small one); the oldest
   * rows deleted (retention) and the newest are noticed at every step all the same.
   */
  countEveryMs?: number;
};

/** What one step did. */
export type Step = {
  /** Why this step was a full pass, or null when it read only the new rows. */
  full: string | null;
  /** New rows read (every row on a full pass). */
  read: number;
  /** Rows that left the window. */
  expired: number;
  /** Whether some node's status or evidence differs from the last step's (or the nodes changed). */
  statusChanged: boolean;
  /** Whether some entry differs in anything (a status, a hash size, a name, a node added or gone). */
  entriesChanged: boolean;
  /** Whether some node's explanation differs. */
  keptChanged: boolean;
  /** Node rows added since the last step and appended to the result (0 when none, or when every node was read again). */
  appended: number;
};

export type Incremental = {
  /** Brings the index up to the database and the clock; `refreshNodes` re-reads the node rows even if none was added or removed. */
  step(now: number, options?: { refreshNodes?: boolean }): Step;
  /** The result as of the last step (computed again only when something changed). */
  result(): ComputeResult;
  /** The connection the last step read through. */
  source(): ServerDatabase;
  /** Which nodes' explanations changed since the last call: all of them after a rebuild, else their indices. */
  takeKeptChanges(): 'all' | number[];
  /** Closes the connection; the next step is a full pass, for `reason`. */
  reset(reason: string): void;
  close(): void;
};

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
  let lowestId: number | null = null;
  let countedAt = -Infinity;
  let fullAt = -Infinity;
  let lastNow = -Infinity;
  let nodes: NodeRow[] = [];
  let skippedRows: SkippedRows | null = null;
  /** Per node table, its row count and highest rowid as last read. */
  let marks: Map<NodeTable, TableMark> | null = null;
  let view: View | null = null;
  let touched: 'all' | Set<number> = 'all';
  let cachedEntries: CapabilityEntry[] | null = null;
  let rowsRead = 0;
  let pending = 'first pass';

  const identityOf = () => fileIdOf(dbPath);

  function reopen(): ServerDatabase {
    source?.db.close();
    source = null;
    fileId = identityOf();
    source = openServerDatabase(dbPath);
    schemaVersion = source.db.pragma('schema_version', { simple: true }) as number;
    return source;
  }

  function tablesOf(s: ServerDatabase): NodeTable[] {
    return s.hasInactive ? ['nodes', 'inactive_nodes'] : ['nodes'];
  }

  /** Each node table's row count and highest rowid (asked apart: one aggregate each is answered from an index's end). */
  function marksOf(s: ServerDatabase): Map<NodeTable, TableMark> {
    return new Map(
      tablesOf(s).map((t) => [
        t,
        {
          count: s.db.prepare(`SELECT count(*) FROM ${t}`).pluck().get() as number,
          max: s.db.prepare(`SELECT max(rowid) FROM ${t}`).pluck().get() as number | null,
        },
      ]),
    );
  }

  /**
   * The node rows added since `before` when rows were only added, in table order; null when
   * a row was removed, moved or cannot name an entry (the nodes are read again whole).
   */
  function addedNodes(s: ServerDatabase, before: Map<NodeTable, TableMark>, after: Map<NodeTable, TableMark>): NodeRow[] | null {
    const added: NodeRow[] = [];
    for (const table of tablesOf(s)) {
      const was = before.get(table);
      const now = after.get(table)!;
      if (was === undefined) return null;
      if (was.count === now.count && was.max === now.max) continue;
      if (now.max === null || (was.max !== null && now.max <= was.max)) return null;
      const where = was.max === null ? '' : ' WHERE rowid > ?';
      const rows = s.db
        .prepare(`SELECT public_key, name, role, last_seen FROM ${table}${where} ORDER BY rowid`)
        .all(...(was.max === null ? [] : [was.max])) as NodeRow[];
      if (was.count + rows.length !== now.count) return null;
      for (const row of rows) {
        if (keyProblem(row.public_key) !== null) return null;
        added.push(table === 'inactive_nodes' ? { ...row, inactive: true } : row);
      }
    }
    return added;
  }

  function hashAt(s: ServerDatabase, rowid: number): string | null {
    const hash = s.db.prepare('SELECT hash FROM transmissions WHERE rowid = ?').pluck().get(rowid);
    return typeof hash === 'string' ? hash : null;
  }

  function rereader(s: ServerDatabase) {
    const statement = s.db.prepare(`SELECT ${packetColumns(s)} FROM transmissions WHERE rowid = ?`).raw();
    return (rowids: number[]) => {
      const rows = new Map<number, PacketRow>();
      for (const rowid of rowids) {
        const found = statement.get(rowid) as unknown[] | undefined;
        if (found !== undefined) rows.set(rowid, packetRow(found));
      }
      return rows;
    };
  }

  /**
   * Reads the rows after rowid `after` (null: every row) that can be evidence or an advert
   * (scan.ts), into the index. The highest rowid becomes `lastId`, whether its row was read
   * or not.
   */
  function readAfter(s: ServerDatabase, after: number | null): void {
    const row: PacketRow = { raw_hex: '', payload_type: null, decoded_json: null, first_seen: '', path_json: null, rowid: 0 };
    const statement = s.db.prepare(packetScanSql(s, { filter: true, afterId: after !== null })).raw();
    for (const values of (after === null ? statement.iterate() : statement.iterate(after)) as Iterable<ScanRow>) {
      row.raw_hex = values[0];
      row.payload_type = values[1];
      row.decoded_json = values[2];
      row.first_seen = values[3];
      row.path_json = values[4];
      row.rowid = values[5];
      index.add(row);
    }
    const max = s.db.prepare('SELECT max(rowid) FROM transmissions').pluck().get() as number | null;
    if (max !== null) lastId = max;
  }

  /** Why the index cannot follow the database by reading new rows, or null when it can. */
  function invalid(s: ServerDatabase, now: number, total: number | null, newer: number): string | null {
    if (now < lastNow) return `the clock went back ${Math.round(lastNow - now)} ms`;
    if (now - fullAt >= resyncMs) return `${Math.round((now - fullAt) / 1000)} s since the last full pass (--resync)`;
    // Apart: SQLite answers min() or max() from the index's end only when it is the only aggregate
    const min = s.db.prepare('SELECT min(rowid) FROM transmissions').pluck().get() as number | null;
    const max = s.db.prepare('SELECT max(rowid) FROM transmissions').pluck().get() as number | null;
    if ((max ?? 0) < lastId) return `the highest transmissions id went back from ${lastId} to ${max ?? 0}`;
    if (lastId > 0 && hashAt(s, lastId) !== lastHash) return `the transmission with id ${lastId} changed or is gone: the database was restored or rewritten`;
    if (lowestId !== null && min !== lowestId)
      return min === null || min > lowestId
        ? `the oldest transmissions were deleted (the lowest id went from ${lowestId} to ${min ?? 'none'}: retention or by hand)`
        : `transmissions appeared below id ${lowestId}`;
    if (total === null) return null;
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
      const countAll = () => s.db.prepare('SELECT count(*) FROM transmissions').pluck().get() as number;
      const due = performance.now() - countedAt >= (options.countEveryMs ?? 0);
      let total = due ? countAll() : null;
      // Rows after the last one read: a range of the rowid tree, cheap once lastId is high; a
      // pass already known to be full reads them all anyway
      const newer = full !== null ? 0 : (s.db.prepare('SELECT count(*) FROM transmissions WHERE rowid > ?').pluck().get(lastId) as number);
      full ??= invalid(s, now, total, newer);
      let read = newer;
      let expired = 0;
      if (full === null) {
        index.setNow(now);
        readAfter(s, lastId);
        const before = index.stats().counted;
        if (index.expire(rereader(s))) expired = before - index.stats().counted;
        else full = 'a transmission leaving the window is gone or changed since it was read';
      }
      if (full !== null) {
        total ??= countAll();
        index = createEvidenceIndex(windowMs);
        index.setNow(now);
        lastId = 0;
        readAfter(s, null);
        read = total;
        fullAt = now;
      }
      if (total !== null) countedAt = performance.now();
      rowCount = total ?? rowCount + newer;
      lowestId = s.db.prepare('SELECT min(rowid) FROM transmissions').pluck().get() as number | null;
      lastHash = lastId > 0 ? hashAt(s, lastId) : null;
      rowsRead = read;

      const current = marksOf(s);
      const added = full === null && !refreshNodes && marks !== null && view !== null ? addedNodes(s, marks, current) : null;
      marks = current;
      const dirty = index.takeDirty();
      const lengths = index.hopLengths();
      // Nodes added: appended to the view, unless one shares its key (ignoring case) with another
      if (added !== null && added.length > 0 && appendView(view!, added, index, lengths)) {
        touched = 'all';
        refreshView(view!, index, lengths, dirty);
        return { full, read, expired, statusChanged: true, entriesChanged: true, keptChanged: true, appended: added.length };
      }
      if (added === null || added.length > 0) {
        ({ nodes, skipped: skippedRows } = readNodes(s));
        view = buildView(nodes, index, lengths);
        touched = 'all';
        return { full, read, expired, statusChanged: true, entriesChanged: true, keptChanged: true, appended: 0 };
      }
      const refreshed = refreshView(view!, index, lengths, dirty);
      if (touched !== 'all') for (const id of refreshed.ids) touched.add(id);
      return {
        full,
        read,
        expired,
        statusChanged: refreshed.statusChanged,
        entriesChanged: refreshed.entriesChanged,
        keptChanged: refreshed.ids.size > 0,
        appended: 0,
      };
    })();
    lastNow = now;
    if (outcome.entriesChanged || cachedEntries === null) cachedEntries = sortedEntries(view!);
    return outcome;
  }

  function result(): ComputeResult {
    if (view === null || cachedEntries === null) throw new Error('no step has run yet');
    const since = index.since();
    const counts = { confirmed: 0, suspected: 0, unknown: 0 };
    for (const entry of cachedEntries) counts[entry.status]++;
    return {
      entries: cachedEntries,
      stats: { packets: rowsRead, inWindow: index.stats().counted, skipped: index.stats().skipped },
      counts,
      skippedRows: skippedRows!,
      computedAt: new Date(lastNow).toISOString(),
      windowStart: since === null ? null : new Date(since).toISOString(),
      // The view's own arrays, as of this step: copy them (copyKept) before they leave the thread
      kept: { ...view.kept, since, computedAt: lastNow },
    };
  }

  return {
    step,
    result,
    takeKeptChanges() {
      const taken = touched === 'all' ? 'all' : [...touched];
      touched = new Set();
      return taken;
    },
    source() {
      if (source === null) throw new Error('no step has run yet');
      return source;
    },
    reset(reason) {
      source?.db.close();
      source = null;
      view = null;
      cachedEntries = null;
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

/** Every node's entry and explanation, kept from one step to the next and refreshed where the evidence changed. */
type View = {
  nodes: NodeRow[];
  lower: string[];
  keys: ReturnType<typeof indexKeys>;
  kept: KeptEvidence;
  /** By node index. */
  entries: CapabilityEntry[];
  /** Node indices in key order, for the snapshot's order without a sort. */
  order: number[];
};

function buildView(nodes: NodeRow[], index: EvidenceIndex, lengths: readonly number[]): View {
  const lower = nodes.map((node) => (typeof node.public_key === 'string' ? node.public_key.toLowerCase() : ''));
  const kept = createKeptArrays(
    nodes.map((node) => node.public_key),
    null,
    0,
  );
  const entries = nodes.map((node, i) => {
    const { advertMax, pathMax } = index.fillNode(kept, i, lower[i]!, lengths);
    return entryOf(node, advertMax, pathMax);
  });
  // Stable, as sortEntries is: equal keys keep the node order
  const order = nodes.map((_, i) => i).sort((a, b) => compare(nodes[a]!.public_key, nodes[b]!.public_key));
  return { nodes, lower, keys: indexKeys(nodes), kept, entries, order };
}

/**
 * Nodes added to the tables, at the view's end: their order among the others decides
 * nothing (explanations list sharing keys sorted), but which of two keys equal ignoring case
 * comes first does, so such a node is refused (false) and the view is built again.
 */
function appendView(view: View, added: readonly NodeRow[], index: EvidenceIndex, lengths: readonly number[]): boolean {
  const lowers = added.map((node) => node.public_key.toLowerCase());
  if (new Set(lowers).size !== lowers.length || lowers.some((lower) => view.keys.byKey.has(lower))) return false;
  view.kept = growKept(view.kept, view.nodes.length + added.length);
  added.forEach((node, j) => {
    const id = view.nodes.length;
    const lower = lowers[j]!;
    view.nodes.push(node);
    view.lower.push(lower);
    view.keys.add(node);
    view.kept.keys.push(node.public_key);
    const { advertMax, pathMax } = index.fillNode(view.kept, id, lower, lengths);
    view.entries.push(entryOf(node, advertMax, pathMax));
    // Into key order, after equal keys (none: refused above)
    let lo = 0;
    let hi = view.order.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (compare(view.nodes[view.order[mid]!]!.public_key, node.public_key) <= 0) lo = mid + 1;
      else hi = mid;
    }
    view.order.splice(lo, 0, id);
  });
  return true;
}

/** The nodes named by the dirty advert keys and hops, filled again; what that changed. */
function refreshView(
  view: View,
  index: EvidenceIndex,
  lengths: readonly number[],
  dirty: { adverts: Set<string>; hops: Set<string> },
): { statusChanged: boolean; entriesChanged: boolean; ids: Set<number> } {
  const ids = new Set<number>();
  for (const key of dirty.adverts) for (const id of view.keys.byKey.get(key) ?? []) ids.add(id);
  for (const hop of dirty.hops) for (const id of view.keys.byPrefix(hop) ?? []) ids.add(id);
  let statusChanged = false;
  let entriesChanged = false;
  for (const id of ids) {
    const { advertMax, pathMax } = index.fillNode(view.kept, id, view.lower[id]!, lengths);
    const before = view.entries[id]!;
    const after = entryOf(view.nodes[id]!, advertMax, pathMax);
    const differs = after.status !== before.status || after.evidence !== before.evidence;
    if (differs) statusChanged = true;
    if (differs || after.maxHashSize !== before.maxHashSize) {
      entriesChanged = true;
      view.entries[id] = after;
    }
  }
  return { statusChanged, entriesChanged, ids };
}

/** The entries in snapshot order (sortEntries's): confirmed, suspected, unknown, each by key. */
function sortedEntries(view: View): CapabilityEntry[] {
  const out: CapabilityEntry[] = [];
  for (const status of ['confirmed', 'suspected', 'unknown'] as const) {
    for (const i of view.order) if (view.entries[i]!.status === status) out.push(view.entries[i]!);
  }
  return out;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
