// Conditional and compressed answers for the large JSON of /api: a weak ETag per version
// of the data (If-None-Match → 304, no body), and gzip for a client that accepts it, done
// on libuv's thread pool so the main thread keeps serving.
import type { IncomingMessage } from 'node:http';
import { gzip } from 'node:zlib';
import type { Result } from './request.js';

/** Smaller answers go as they are: gzip would save little and cost a thread-pool trip. */
export const GZIP_MIN_BYTES = 1024;

function matches(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false;
  if (header.trim() === '*') return true;
  const bare = (tag: string) => tag.trim().replace(/^W\//, '');
  return header.split(',').some((tag) => bare(tag) === bare(etag));
}

function acceptsGzip(header: string | undefined): boolean {
  if (header === undefined) return false;
  return header.split(',').some((part) => {
    const [coding, ...params] = part.trim().toLowerCase().split(';');
    if (coding !== 'gzip' && coding !== '*') return false;
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    return q === undefined || Number(q.slice(2)) > 0;
  });
}

const gzipped = (bytes: Uint8Array) => new Promise<Buffer>((resolve, reject) => gzip(bytes, (error, out) => (error ? reject(error) : resolve(out))));

/** The answer as this request should get it: 304, gzipped, or as it is. */
export function negotiate(req: IncomingMessage, result: Result, cache?: GzipCache): Result | Promise<Result> {
  if (result.code !== 200) return result;
  if (result.etag !== undefined && matches(req.headers['if-none-match'], result.etag))
    return { code: 304, parts: [], etag: result.etag, compress: result.compress, type: result.type };
  if (!result.compress || !acceptsGzip(req.headers['accept-encoding'])) return result;
  const parts = result.parts ?? [Buffer.from(typeof result.body === 'string' ? result.body : `${JSON.stringify(result.body)}\n`)];
  const length = parts.reduce((n, part) => n + part.byteLength, 0);
  if (length < GZIP_MIN_BYTES) return result;
  const body = cache && result.etag ? cache.get(`${result.etag} ${req.url}`, () => gzipped(Buffer.concat(parts))) : gzipped(Buffer.concat(parts));
  return body.then((bytes) => ({ ...result, body: undefined, parts: [bytes], encoding: 'gzip' }));
}

/** Keeps the gzipped bytes of the last few large answers, by ETag and request target. */
export type GzipCache = { get(etag: string, make: () => Promise<Buffer>): Promise<Buffer> };

export function createGzipCache(size = 4): GzipCache {
  const kept = new Map<string, Promise<Buffer>>();
  return {
    get(etag, make) {
      let found = kept.get(etag);
      if (found === undefined) {
        found = make();
        kept.set(etag, found);
        found.catch(() => kept.delete(etag));
        while (kept.size > size) kept.delete(kept.keys().next().value!);
      }
      return found;
    },
  };
}
