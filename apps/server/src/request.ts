// What a route answers, and reading the query of a request.
import { STATUS_OF_SUP, type MultibyteStatus } from '@mbcap/snapshot';

/**
 * `body` is sent as JSON (a string as it is); `parts`, bytes made elsewhere, as they are.
 * `etag` makes the answer conditional (If-None-Match); `compress` lets it go gzipped to a
 * client that accepts it.
 */
export type Result = {
  code: number;
  body?: unknown;
  parts?: Uint8Array[];
  type?: string;
  retryAfter?: number;
  etag?: string;
  compress?: boolean;
  /** Set by encoding.ts: the parts are gzipped. */
  encoding?: 'gzip';
  /** More response headers (the page's Content-Security-Policy, …). */
  headers?: Record<string, string>;
};

/** The client's fault: answered 400 with the message. */
export class BadRequest extends Error {}

export function intParam(params: URLSearchParams, name: string, fallback: number, min: number, max: number): number {
  const raw = params.get(name);
  if (raw === null) return fallback;
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || value < min || value > max)
    throw new BadRequest(`${name} must be a whole number from ${min} to ${max}, got ${JSON.stringify(raw)}`);
  return value;
}

export function statusParam(params: URLSearchParams): MultibyteStatus | null {
  const raw = params.get('status');
  if (raw === null || raw === '') return null;
  if (!(STATUS_OF_SUP as readonly string[]).includes(raw))
    throw new BadRequest(`status must be one of ${STATUS_OF_SUP.join(', ')}, got ${JSON.stringify(raw)}`);
  return raw as MultibyteStatus;
}

/** The paging of /api/nodes and /api/multibyte-capability. */
export const PAGE = { limit: 100, maxLimit: 1000 };

export function shorten(text: string, max = 200): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}
