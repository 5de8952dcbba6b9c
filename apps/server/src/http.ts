// The HTTP API, on node's own http module: /healthz, /readyz, /api/nodes, /api/nodes/:key,
// /api/nodes/:key/capability, /api/multibyte-capability, /metrics, and the operator's page
// at / (page-routes.ts). JSON everywhere but /metrics and the page; the routes live in
// api.ts, health.ts, metrics.ts and page-routes.ts.
//
// No request ends the process: the request target is read without throwing, the whole
// handler sits in a guard that answers 400 (the client's fault) or 500 (ours), and a
// request node cannot even parse is answered 400 on the socket, which is then destroyed.
import { createServer, STATUS_CODES, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from '@mbcap/cli';
import { HTTP_TIMEOUTS, limitConnections } from './connections.js';
import { explainKept } from './explain-kept.js';
import { isNodeKey } from './explain.js';
import type { ServerDatabase } from './database.js';
import { throttledWarn } from './log-throttle.js';
import { liveness, readinessAnswer } from './health.js';
import { createMetrics, type HttpStats, type Metrics } from './metrics.js';
import { capabilityAnswer, nodeAnswer, nodesAnswer } from './api.js';
import { createGzipCache, negotiate } from './encoding.js';
import { createNodeListing, type NodeListing } from './node-listing.js';
import { BadRequest, type Result, shorten } from './request.js';
import { PAGE_ROUTES, pageRoute } from './page-routes.js';
import type { PublishState } from './publisher.js';
import { parseTarget, type Target } from './target.js';

export type ApiContext = {
  source: ServerDatabase;
  state: PublishState;
  window: string;
  interval: string;
  /** Connections served at once; more are refused (closed) at accept. */
  maxConnections: number;
  /** Where malformed requests, refused connections and our own failures are reported (throttled). */
  log?: Logger;
};

const ROUTES = ['/healthz', '/readyz', '/api/nodes', '/api/nodes/:key', '/api/nodes/:key/capability', '/api/multibyte-capability', '/metrics', ...PAGE_ROUTES];
const NODE_CAPABILITY = /^\/api\/nodes\/([^/]*)\/capability$/;
const NODE = /^\/api\/nodes\/([^/]+)$/;
/** At most one warning line per kind of trouble in this interval. */
const WARN_INTERVAL_MS = 10_000;

function send(
  res: ServerResponse,
  { code, body, parts: given, type = 'application/json; charset=utf-8', retryAfter, etag, compress, encoding, headers }: Result,
) {
  const parts = code === 304 ? [] : (given ?? [Buffer.from(typeof body === 'string' ? body : `${JSON.stringify(body)}\n`)]);
  const length = parts.reduce((n, part) => n + part.byteLength, 0);
  res.writeHead(code, {
    'content-type': type,
    ...(code === 304 ? {} : { 'content-length': length }),
    // An answer with a version may be kept, and is asked again with If-None-Match
    'cache-control': etag === undefined ? 'no-store' : 'no-cache',
    ...(etag === undefined ? {} : { etag }),
    ...(compress ? { vary: 'accept-encoding' } : {}),
    ...(encoding === undefined ? {} : { 'content-encoding': encoding }),
    ...(retryAfter === undefined ? {} : { 'retry-after': String(retryAfter) }),
    ...headers,
  });
  for (const part of parts) res.write(part);
  res.end();
}

/** From what the last successful cycle kept: a few rows read by rowid, never a scan. */
function explain(ctx: ApiContext, key: string): Result {
  if (!isNodeKey(key)) throw new BadRequest(`the node key must be 2 to 64 hex digits, got ${JSON.stringify(shorten(key, 80))}`);
  const kept = ctx.state.kept;
  if (kept === null) return { code: 503, body: { error: 'no analytics cycle has finished yet (see /healthz); retry in a few seconds' }, retryAfter: 2 };
  const explanation = explainKept(ctx.source, kept, key);
  if (explanation === null) return { code: 404, body: { error: `no node has the key ${key}` } };
  return { code: 200, body: explanation };
}

/** `next` over a result that may come later (the first node listing is being made). */
function later(result: Result | Promise<Result>, next: (result: Result) => Result | Promise<Result>): Result | Promise<Result> {
  return result instanceof Promise ? result.then(next) : next(result);
}

/** The route's name for the request counters. */
function routeOf(path: string): string {
  if (ROUTES.includes(path)) return path;
  if (NODE_CAPABILITY.test(path)) return '/api/nodes/:key/capability';
  return NODE.test(path) ? '/api/nodes/:key' : 'other';
}

type Routing = { ctx: ApiContext; stats: HttpStats; metrics: Metrics; listing: NodeListing; gzipCache: ReturnType<typeof createGzipCache> };

function route({ ctx, stats, metrics, listing, gzipCache }: Routing, req: IncomingMessage, target: Target): Result | Promise<Result> {
  const capabilityOf = NODE_CAPABILITY.exec(target.path);
  if (capabilityOf !== null) return explain(ctx, capabilityOf[1]!);
  const page = pageRoute(ctx, target.path);
  if (page !== null) return page;
  const node = NODE.exec(target.path);
  if (node !== null) return later(nodeAnswer(listing, node[1]!), (result) => negotiate(req, result));
  switch (target.path) {
    case '/healthz':
      return liveness(ctx, stats);
    case '/readyz':
      return readinessAnswer(ctx, stats);
    case '/api/nodes':
      return later(nodesAnswer(listing, target.params), (result) => negotiate(req, result));
    case '/api/multibyte-capability':
      return negotiate(req, capabilityAnswer(ctx.state, ctx.window, target.params), gzipCache);
    case '/metrics':
      return metrics.render().then((text) => ({ code: 200, body: text, type: metrics.contentType }));
    default:
      return { code: 404, body: { error: `not found: ${req.method} ${shorten(target.path)}`, paths: ROUTES } };
  }
}

export function createApiServer(ctx: ApiContext): Server {
  const stats: HttpStats = { requests: new Map(), refused: 0, malformed: 0, maxConnections: ctx.maxConnections };
  const metrics = createMetrics(ctx, stats);
  const listing = createNodeListing(ctx.source, ctx.state);
  const gzipCache = createGzipCache();
  const warn = throttledWarn(ctx.log, WARN_INTERVAL_MS);
  const count = (route: string, code: number) => {
    const key = `${route} ${code}`;
    stats.requests.set(key, (stats.requests.get(key) ?? 0) + 1);
  };

  function handle(req: IncomingMessage, res: ServerResponse): void {
    const target = parseTarget(req.url);
    let result: Result | Promise<Result>;
    if (target === null) {
      stats.malformed++;
      warn('bad-request', `bad request target ${JSON.stringify(shorten(req.url ?? ''))} from ${req.socket.remoteAddress}; answered 400`);
      result = { code: 400, body: { error: 'bad request target: expected a path such as /api/nodes' } };
    } else if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('allow', 'GET, HEAD');
      result = { code: 405, body: { error: `method ${req.method} not allowed: this API is read-only` } };
    } else {
      try {
        result = route({ ctx, stats, metrics, listing, gzipCache }, req, target);
      } catch (error) {
        result = failure(error);
      }
    }
    const name = target === null ? 'other' : routeOf(target.path);
    if (result instanceof Promise) {
      // /metrics (prom-client collects asynchronously) and gzipped answers come later
      result
        .catch(failure)
        .then((answer) => {
          count(name, answer.code);
          if (!res.destroyed) send(res, answer);
        })
        .catch((error) => answerFailure(req, res, error));
      return;
    }
    count(name, result.code);
    send(res, result);
  }

  function failure(error: unknown): Result {
    if (error instanceof BadRequest) return { code: 400, body: { error: error.message } };
    return { code: 503, body: { error: `the database could not answer: ${(error as Error).message}` } };
  }

  const server = createServer({ connectionsCheckingInterval: HTTP_TIMEOUTS.check }, (req, res) => {
    // A broken response (the client went away) is the client's business, not a crash
    res.on('error', () => {});
    try {
      handle(req, res);
    } catch (error) {
      answerFailure(req, res, error);
    }
  });

  /** Our own bug: one line, a 500 if the answer has not started, and the process lives on. */
  function answerFailure(req: IncomingMessage, res: ServerResponse, error: unknown): void {
    count('other', 500);
    warn('request-failed', `${req.method} ${shorten(req.url ?? '')} failed: ${(error as Error)?.stack ?? String(error)}; answered 500`);
    if (res.headersSent) res.destroy();
    else {
      try {
        send(res, { code: 500, body: { error: 'internal error; the server log has the details' } });
      } catch {
        res.destroy();
      }
    }
  }
  limitConnections(server, ctx.maxConnections);

  // Malformed HTTP (node's parser refused it), or a request too slow to arrive
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => {
    const code = error.code ?? 'ERR';
    if (code === 'ECONNRESET' || code === 'EPIPE' || !socket.writable) {
      socket.destroy();
      return;
    }
    stats.malformed++;
    const status = code === 'HPE_HEADER_OVERFLOW' ? 431 : code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
    count('malformed', status);
    warn(
      'bad-request',
      `malformed request from ${(socket as Duplex & { remoteAddress?: string }).remoteAddress ?? 'a client'} (${code}: ${error.message}); answered ${status} and closed the connection`,
    );
    // An answer already under way cannot be followed by another one
    if ((socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage?.headersSent) {
      socket.destroy();
      return;
    }
    socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`, () => socket.destroy());
    // A client that never reads must not hold the socket open
    setTimeout(() => socket.destroy(), 1000).unref();
  });

  // Past the cap: node closes the new connection at once; say so, now and then
  server.on('drop', (data?: { remoteAddress?: string }) => {
    stats.refused++;
    warn(
      'connection-refused',
      `${ctx.maxConnections} connections open, the most allowed: refused one from ${data?.remoteAddress ?? 'a client'}; raise --max-connections (and the open-file limit) if this load is expected`,
    );
  });
  return server;
}
