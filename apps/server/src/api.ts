// The data routes of /api: /api/nodes (paged, filtered), /api/nodes/:key, and
// /api/multibyte-capability (whole, or paged and filtered like /api/nodes). Field names are
// snake_case; the few camelCase ones that existed before stay beside their twins (README).
import { isNodeKey } from './explain.js';
import type { EntriesJson } from './entries-json.js';
import { entriesSlice } from './entries-json.js';
import type { Found, NodeListing } from './node-listing.js';
import type { PublishState } from './publisher.js';
import { BadRequest, intParam, PAGE, type Result, shorten, statusParam } from './request.js';
import type { NodeQuery } from './nodes.js';

const JSON_TYPE = 'application/json; charset=utf-8';

function pageOf(params: URLSearchParams): NodeQuery {
  return {
    status: statusParam(params),
    limit: intParam(params, 'limit', PAGE.limit, 1, PAGE.maxLimit),
    offset: intParam(params, 'offset', 0, 0, Number.MAX_SAFE_INTEGER),
  };
}

/** `make` over a value that may come later (the first node listing), without waiting when it is there. */
function then<T, R>(value: T | Promise<T>, make: (v: T) => R): R | Promise<R> {
  return value instanceof Promise ? value.then(make) : make(value);
}

export function nodesAnswer(listing: NodeListing, params: URLSearchParams): Result | Promise<Result> {
  return then(listing.list(pageOf(params)), ({ parts, etag }): Result => ({ code: 200, parts, etag, compress: true, type: JSON_TYPE }));
}

export function nodeAnswer(listing: NodeListing, key: string): Result | Promise<Result> {
  if (!isNodeKey(key)) throw new BadRequest(`the node key must be 2 to 64 hex digits, got ${JSON.stringify(shorten(key, 80))}`);
  return then(listing.find(key), (found: Found): Result => {
    if (found === null) return { code: 404, body: { error: `no node has the key ${key}` } };
    return { code: 200, parts: [Buffer.from('{"node":'), found.json, Buffer.from('}\n')], etag: found.etag, type: JSON_TYPE };
  });
}

/** Where each status's entries lie: the entries come confirmed first, then suspected, then unknown. */
function statusRange(state: PublishState, json: EntriesJson, status: string | null): [number, number] {
  const n = json.offsets.length - 1;
  const counts = state.lastSuccess?.counts;
  if (status === null || !counts) return [0, status === null ? n : 0];
  const confirmed = counts.confirmed;
  const suspected = confirmed + counts.suspected;
  return status === 'confirmed' ? [0, confirmed] : status === 'suspected' ? [confirmed, suspected] : [suspected, n];
}

export function capabilityAnswer(state: PublishState, window: string, params: URLSearchParams): Result {
  const last = state.lastSuccess;
  const json = state.entriesJson;
  // Without limit or offset, every entry (as before paging existed); else one page
  const paged = params.has('limit') || params.has('offset');
  const query = pageOf(params);
  const [first, end] = json === null ? [0, 0] : statusRange(state, json, query.status);
  const total = end - first;
  const from = paged ? Math.min(first + query.offset, end) : first;
  const to = paged ? Math.min(from + query.limit, end) : end;
  const head = JSON.stringify({
    computedAt: last?.at ?? null,
    computed_at: last?.at ?? null,
    seq: last?.seq ?? null,
    window,
    counts: last?.counts ?? null,
    total,
    limit: paged ? query.limit : null,
    offset: paged ? query.offset : 0,
    status: query.status,
  });
  const entries = json === null ? [Buffer.from('[]')] : entriesSlice(json, from, to);
  return {
    code: 200,
    parts: [Buffer.from(`${head.slice(0, -1)},"entries":`), ...entries, Buffer.from('}\n')],
    // One version per cycle: the entries and the head change together
    etag: last === null ? undefined : `W/"c-${last.seq}-${Date.parse(last.at)}"`,
    compress: true,
    type: JSON_TYPE,
  };
}
