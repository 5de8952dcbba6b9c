// GET /api/nodes and /api/nodes/:key from memory: the rows of both tables, each already
// serialised as the API gives it, in one buffer, with the positions of each status. A
// request costs a slice of that buffer, never a count(*) or an OFFSET scan.
//
// The listing is made again when the database changed (PRAGMA data_version: another
// connection committed) or a cycle finished, but not more often than its own cost allows:
// at least REBUILD_RATIO times as long as the last build worked must have passed since, so
// building takes at most about a tenth of the main thread. It is read in chunks of
// CHUNK_ROWS rows (keyset: `public_key > last`), the event loop free between them, so a
// build at 200k nodes never stalls /healthz; meanwhile requests get the listing as it
// stands (`as_of` says when it was read). Before the first one is made they wait for it:
// answering them with SQL meanwhile would starve the build under load. nodes.ts is the
// plain twin, which a differential test holds equal.
import { randomBytes } from 'node:crypto';
import type { NodeRecord } from '@mbcap/dbschema';
import { MULTIBYTE_STATUSES, type MultibyteStatus } from '@mbcap/snapshot';
import { maxHashSizeOf } from './capability.js';
import type { ServerDatabase } from './database.js';
import type { KeptEvidence } from './kept.js';
import { apiNode, NODE_SELECT, nodeTables, type HashSizeOf, type NodeQuery } from './nodes.js';
import type { PublishState } from './publisher.js';

const REBUILD_RATIO = 10;
const CHUNK_ROWS = 2000;
/** Distinguishes this process's ETags from another's (a restart). */
const NONCE = randomBytes(4).toString('hex');

type Listing = {
  /** `[n0,n1,…]` without the brackets: each node's JSON, separated by commas. */
  bytes: Buffer;
  /** Where each node's JSON starts, then one past the end (+1 for the comma). */
  offsets: Uint32Array;
  /** Node positions by status. */
  byStatus: Record<MultibyteStatus, Uint32Array>;
  keys: string[];
  /** Key → position, exactly and lower-cased, made on the first lookup. */
  byKey: { exact: Map<string, number>; folded: Map<string, number> } | null;
  asOf: string;
  etag: string;
};

export type Page = { parts: Uint8Array[]; etag: string };
export type Found = { json: Uint8Array; etag: string } | null;

export type NodeListing = {
  /** The page as JSON parts, and the listing's ETag; later only before the first listing is made. */
  list(query: NodeQuery): Page | Promise<Page>;
  /** One node's JSON, by its key (exactly as stored, else ignoring case), or null. */
  find(key: string): Found | Promise<Found>;
  /** Resolves once no build is due or in flight (tests). */
  settled(): Promise<void>;
};

const hashSizeCache = new WeakMap<KeptEvidence, Map<string, number>>();

/** The largest hash size per node key as the last successful cycle computed it. */
export function hashSizesOf(state: PublishState): HashSizeOf {
  const kept = state.kept;
  if (kept === null) return () => null;
  let sizes = hashSizeCache.get(kept);
  if (sizes === undefined) {
    sizes = new Map();
    for (let i = 0; i < kept.keys.length; i++) sizes.set(kept.keys[i]!, maxHashSizeOf(kept.advertMax[i]!, kept.pathMax[i]!));
    hashSizeCache.set(kept, sizes);
  }
  const found = sizes;
  return (key) => found.get(key) ?? null;
}

type Built = { listing: Listing; workMs: number };

/** Reads both tables chunk by chunk, yielding between chunks; `workMs` is the time spent reading. */
async function build(source: ServerDatabase, state: PublishState, generation: number): Promise<Built> {
  const hashSizeOf = hashSizesOf(state);
  const texts: string[] = [];
  const keys: string[] = [];
  const statuses: MultibyteStatus[] = [];
  let workMs = 0;
  for (const table of nodeTables(source)) {
    const first = source.db.prepare(`${NODE_SELECT} ${table} ORDER BY public_key LIMIT ?`);
    const next = source.db.prepare(`${NODE_SELECT} ${table} WHERE public_key > ? ORDER BY public_key LIMIT ?`);
    let last: string | null = null;
    for (;;) {
      const started = performance.now();
      const rows = (last === null ? first.all(CHUNK_ROWS) : next.all(last, CHUNK_ROWS)) as NodeRecord[];
      for (const row of rows) {
        const node = apiNode(row, table, hashSizeOf);
        texts.push(JSON.stringify(node));
        keys.push(node.public_key);
        statuses.push(node.multi_byte_status);
      }
      workMs += performance.now() - started;
      if (rows.length < CHUNK_ROWS) break;
      last = rows[rows.length - 1]!.public_key;
      await new Promise((resolve) => setImmediate(resolve));
    }
  }
  const started = performance.now();
  const offsets = new Uint32Array(texts.length + 1);
  let at = 0;
  for (let i = 0; i < texts.length; i++) {
    offsets[i] = at;
    at += Buffer.byteLength(texts[i]!) + 1;
  }
  offsets[texts.length] = at;
  const byStatus = {} as Record<MultibyteStatus, Uint32Array>;
  for (const status of MULTIBYTE_STATUSES) {
    const positions: number[] = [];
    for (let i = 0; i < statuses.length; i++) if (statuses[i] === status) positions.push(i);
    byStatus[status] = Uint32Array.from(positions);
  }
  const bytes = Buffer.from(texts.join(','));
  workMs += performance.now() - started;
  return { listing: { bytes, offsets, byStatus, keys, byKey: null, asOf: new Date().toISOString(), etag: `W/"n-${NONCE}-${generation}"` }, workMs };
}

export function createNodeListing(source: ServerDatabase, state: PublishState): NodeListing {
  let listing: Listing | null = null;
  let builtFor: { version: number; kept: KeptEvidence | null } | null = null;
  let builtAt = 0;
  let workMs = 0;
  let generation = 0;
  let building: Promise<void> | null = null;

  /** Starts a build when one is due; returns the listing as it stands (null before the first). */
  function current(): Listing | null {
    if (building !== null) return listing;
    const version = source.db.pragma('data_version', { simple: true }) as number;
    const stale = builtFor === null || builtFor.version !== version || builtFor.kept !== state.kept;
    if (stale && (listing === null || performance.now() - builtAt >= REBUILD_RATIO * workMs)) {
      const wanted = { version, kept: state.kept };
      building = build(source, state, ++generation).then(
        (built) => {
          listing = built.listing;
          builtFor = wanted;
          builtAt = performance.now();
          workMs = built.workMs;
          building = null;
        },
        () => {
          // The database could not answer: the next request tries again
          building = null;
        },
      );
    }
    return listing;
  }

  const node = (l: Listing, i: number) => l.bytes.subarray(l.offsets[i]!, l.offsets[i + 1]! - 1);

  /** `answer` over the listing: now, or once the first one is made. */
  function withListing<T>(answer: (l: Listing) => T): T | Promise<T> {
    const l = current();
    if (l !== null) return answer(l);
    return (building ?? Promise.resolve()).then(() => {
      if (listing === null) throw new Error('the node rows could not be read; see the server log');
      return answer(listing);
    });
  }

  function page(l: Listing, query: NodeQuery): Page {
    const positions = query.status === null ? null : l.byStatus[query.status];
    const total = positions === null ? l.keys.length : positions.length;
    const from = Math.min(query.offset, total);
    const to = Math.min(from + query.limit, total);
    const head = `{"total":${total},"limit":${query.limit},"offset":${query.offset},"status":${JSON.stringify(query.status)},"as_of":"${l.asOf}","nodes":[`;
    const parts: Uint8Array[] = [Buffer.from(head)];
    if (positions === null) {
      // Neighbours in the buffer: one slice
      if (to > from) parts.push(l.bytes.subarray(l.offsets[from]!, l.offsets[to]! - 1));
    } else {
      for (let i = from; i < to; i++) {
        if (i > from) parts.push(COMMA);
        parts.push(node(l, positions[i]!));
      }
    }
    parts.push(TAIL);
    return { parts, etag: l.etag };
  }

  function lookup(l: Listing, key: string): Found {
    if (l.byKey === null) {
      // The first of a key's cases in listing order wins, as the plain twin finds it
      const exact = new Map<string, number>();
      const folded = new Map<string, number>();
      for (let i = l.keys.length - 1; i >= 0; i--) {
        exact.set(l.keys[i]!, i);
        folded.set(l.keys[i]!.toLowerCase(), i);
      }
      l.byKey = { exact, folded };
    }
    const i = l.byKey.exact.get(key) ?? l.byKey.folded.get(key.toLowerCase());
    return i === undefined ? null : { json: node(l, i), etag: l.etag };
  }

  return {
    list: (query) => withListing((l) => page(l, query)),
    find: (key) => withListing((l) => lookup(l, key)),
    async settled() {
      for (;;) {
        current();
        if (building === null) return;
        await building;
      }
    },
  };
}

const COMMA = Buffer.from(',');
const TAIL = Buffer.from(']}\n');
