// How many HTTP connections the server holds at once, and how long an idle or slow one may
// stay. Every connection costs a file descriptor, and the publisher needs a few of its own
// (the database, the temp file, the directory): the cap keeps some in reserve below the
// open-file limit, so no load on the API can make a publish fail with EMFILE.
import { readdirSync, readFileSync } from 'node:fs';
import type { Server } from 'node:http';

export const DEFAULT_MAX_CONNECTIONS = 512;
/** Descriptors kept free for the publisher, beyond those open at start. */
export const PUBLISHER_RESERVE = 64;

/** Connection time limits, in ms. */
export const HTTP_TIMEOUTS = {
  /** An idle keep-alive connection is closed after this (node's default). */
  keepAlive: 5_000,
  /** The request line and headers must arrive within this. */
  headers: 10_000,
  /** The whole request must arrive within this. */
  request: 30_000,
  /** A socket with no traffic at all (connected, sends nothing) is destroyed after this. */
  idle: 10_000,
  /** How often node checks the headers and request limits. */
  check: 1_000,
} as const;

/** The soft RLIMIT_NOFILE from /proc/self/limits; null when unknown or unlimited. */
export function softOpenFileLimit(limits: string | null = readOrNull('/proc/self/limits')): number | null {
  const m = limits === null ? null : /^Max open files\s+(\d+|unlimited)\s/m.exec(limits);
  if (!m || m[1] === 'unlimited') return null;
  return Number(m[1]);
}

/** Descriptors this process has open now; null when /proc is not there. */
export function openDescriptors(): number | null {
  try {
    return readdirSync('/proc/self/fd').length;
  } catch {
    return null;
  }
}

export type ConnectionCap = {
  max: number;
  requested: number;
  /** The open-file limit, when known. */
  fileLimit: number | null;
  /** The limit forced the cap below the one requested. */
  lowered: boolean;
};

/** `requested`, lowered so that open + cap + the publisher's reserve stays within the limit. */
export function connectionCap(requested: number, fileLimit: number | null, open: number | null): ConnectionCap {
  if (!Number.isInteger(requested) || requested < 1) throw new RangeError(`Expected --max-connections to be a positive whole number, got ${requested}`);
  if (fileLimit === null) return { max: requested, requested, fileLimit, lowered: false };
  // Unknown open count: assume what node itself holds at start, with some margin
  const room = Math.max(1, fileLimit - (open ?? 32) - PUBLISHER_RESERVE);
  return { max: Math.min(requested, room), requested, fileLimit, lowered: room < requested };
}

/** The cap and the time limits, on `server`. */
export function limitConnections(server: Server, max: number): void {
  server.maxConnections = max;
  server.keepAliveTimeout = HTTP_TIMEOUTS.keepAlive;
  server.headersTimeout = HTTP_TIMEOUTS.headers;
  server.requestTimeout = HTTP_TIMEOUTS.request;
  // No 'timeout' listener: node destroys the idle socket
  server.setTimeout(HTTP_TIMEOUTS.idle);
}

function readOrNull(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}
