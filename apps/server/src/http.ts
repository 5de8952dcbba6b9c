// The HTTP API, on node's own http module: /healthz, /api/nodes,
// /api/multibyte-capability, /metrics, and the operator's page at / (page-routes.ts).
// JSON everywhere but /metrics and the page.
//
// No request ends the process: the request target is read without throwing, the whole
// handler sits in a guard that answers 400 (the client's fault) or 500 (ours), and a
// request node cannot even parse is answered 400 on the socket, which is then destroyed.
import { createServer, STATUS_CODES, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from '@mbcap/cli';
import { checkSchema } from '@mbcap/dbschema';
import { HTTP_TIMEOUTS, limitConnections } from './connections.js';
import { explainKept } from './explain-kept.js';
import { isNodeKey } from './explain.js';
import type { ServerDatabase } from './database.js';
import { throttledWarn } from './log-throttle.js';
import { renderMetrics, type HttpStats } from './metrics.js';
import { STATUS_OF_SUP, type MultibyteStatus as NodeStatus } from '@mbcap/snapshot';
import { listNodes } from './nodes.js';
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

class BadRequest extends Error {}

const ROUTES = ['/healthz', '/api/nodes', '/api/nodes/:key/capability', '/api/multibyte-capability', '/metrics', ...PAGE_ROUTES];
const NODE_CAPABILITY = /^\/api\/nodes\/([^/]*)\/capability$/;
/** At most one warning line per kind of trouble in this interval. */
const WARN_INTERVAL_MS = 10_000;

/** `body` is sent as JSON (a string as it is); `parts`, bytes made elsewhere, as they are. */
export type Result = { code: number; body?: unknown; parts?: Uint8Array[]; type?: string; retryAfter?: number; headers?: Record<string, string> };

function send(res: ServerResponse, { code, body, parts: given, type = 'application/json; charset=utf-8', retryAfter, headers }: Result) {
  const parts = given ?? [Buffer.from(typeof body === 'string' ? body : `${JSON.stringify(body)}\n`)];
  const length = parts.reduce((n, part) => n + part.byteLength, 0);
  res.writeHead(code, {
    'content-type': type,
    'content-length': length,
    'cache-control': 'no-store',
    ...(retryAfter === undefined ? {} : { 'retry-after': String(retryAfter) }),
    ...headers,
  });
  for (const part of parts) res.write(part);
  res.end();
}

function intParam(params: URLSearchParams, name: string, fallback: number, min: number, max: number): number {
  const raw = params.get(name);
  if (raw === null) return fallback;
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || value < min || value > max)
    throw new BadRequest(`${name} must be a whole number from ${min} to ${max}, got ${JSON.stringify(raw)}`);
  return value;
}

function statusParam(params: URLSearchParams): NodeStatus | null {
  const raw = params.get('status');
  if (raw === null || raw === '') return null;
  if (!(STATUS_OF_SUP as readonly string[]).includes(raw))
    throw new BadRequest(`status must be one of ${STATUS_OF_SUP.join(', ')}, got ${JSON.stringify(raw)}`);
  return raw as NodeStatus;
}

function health(ctx: ApiContext, stats: HttpStats) {
  const schema = checkSchema(ctx.source.db, 'server');
  const last = ctx.state.last;
  const failing = !schema.ok || (last !== null && last.error !== null);
  const skipped = ctx.state.lastSuccess?.skippedRows;
  return {
    code: failing ? 503 : 200,
    body: {
      status: failing ? 'failing' : last === null ? 'starting' : 'ok',
      readOnly: ctx.source.db.readonly,
      schema,
      window: ctx.window,
      interval: ctx.interval,
      lastPublish: last,
      lastSuccess: ctx.state.lastSuccess,
      publishes: ctx.state.publishes,
      unchangedCycles: ctx.state.unchanged,
      failures: ctx.state.failures,
      // Node rows the last publish left out: their key cannot name a snapshot entry
      skippedRows: {
        count: skipped?.count ?? 0,
        byTable: skipped?.byTable ?? { nodes: 0, inactive_nodes: 0 },
        reason: skipped?.reason ?? null,
        samples: skipped?.samples ?? [],
      },
      http: { maxConnections: ctx.maxConnections, refusedConnections: stats.refused, malformedRequests: stats.malformed },
    },
  };
}

function capability(ctx: ApiContext): Result {
  const last = ctx.state.lastSuccess;
  const head = JSON.stringify({ computedAt: last?.at ?? null, seq: last?.seq ?? null, window: ctx.window, counts: last?.counts ?? null });
  // The entries arrive from the publish thread already as JSON bytes
  return { code: 200, parts: [Buffer.from(`${head.slice(0, -1)},"entries":`), ctx.state.entriesJson ?? Buffer.from('[]'), Buffer.from('}\n')] };
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

/** The route's name for the request counters. */
function routeOf(path: string): string {
  if (ROUTES.includes(path)) return path;
  return NODE_CAPABILITY.test(path) ? '/api/nodes/:key/capability' : 'other';
}

function route(ctx: ApiContext, stats: HttpStats, req: IncomingMessage, target: Target): Result {
  const node = NODE_CAPABILITY.exec(target.path);
  if (node !== null) return explain(ctx, node[1]!);
  const page = pageRoute(ctx, target.path);
  if (page !== null) return page;
  switch (target.path) {
    case '/healthz':
      return health(ctx, stats);
    case '/api/nodes': {
      const { params } = target;
      const query = {
        status: statusParam(params),
        limit: intParam(params, 'limit', 100, 1, 1000),
        offset: intParam(params, 'offset', 0, 0, Number.MAX_SAFE_INTEGER),
      };
      const { total, nodes } = listNodes(ctx.source, query);
      return { code: 200, body: { total, limit: query.limit, offset: query.offset, status: query.status, nodes } };
    }
    case '/api/multibyte-capability':
      return capability(ctx);
    case '/metrics':
      return { code: 200, body: renderMetrics(ctx.state, stats), type: 'text/plain; version=0.0.4; charset=utf-8' };
    default:
      return { code: 404, body: { error: `not found: ${req.method} ${shorten(target.path)}`, paths: ROUTES } };
  }
}

function shorten(text: string, max = 200): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

export function createApiServer(ctx: ApiContext): Server {
  const stats: HttpStats = { requests: new Map(), refused: 0, malformed: 0, maxConnections: ctx.maxConnections };
  const warn = throttledWarn(ctx.log, WARN_INTERVAL_MS);
  const count = (route: string, code: number) => {
    const key = `${route} ${code}`;
    stats.requests.set(key, (stats.requests.get(key) ?? 0) + 1);
  };

  function handle(req: IncomingMessage, res: ServerResponse): void {
    const target = parseTarget(req.url);
    let result: Result;
    if (target === null) {
      stats.malformed++;
      warn('bad-request', `bad request target ${JSON.stringify(shorten(req.url ?? ''))} from ${req.socket.remoteAddress}; answered 400`);
      result = { code: 400, body: { error: 'bad request target: expected a path such as /api/nodes' } };
    } else if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('allow', 'GET, HEAD');
      result = { code: 405, body: { error: `method ${req.method} not allowed: this API is read-only` } };
    } else {
      try {
        result = route(ctx, stats, req, target);
      } catch (error) {
        result = failure(error);
      }
    }
    count(target === null ? 'other' : routeOf(target.path), result.code);
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
      // Our own bug: one line, a 500 if the answer has not started, and the process lives on
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
  });
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
