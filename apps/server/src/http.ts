// The HTTP API, on node's own http module: /healthz, /api/nodes,
// /api/multibyte-capability, /metrics. JSON everywhere but /metrics.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { checkSchema } from '@mbcap/dbschema';
import type { ServerDatabase } from './database.js';
import { renderMetrics } from './metrics.js';
import { listNodes, STATUS_OF_SUP, type NodeStatus } from './nodes.js';
import type { PublishState } from './publisher.js';

export type ApiContext = {
  source: ServerDatabase;
  state: PublishState;
  window: string;
  interval: string;
};

class BadRequest extends Error {}

const ROUTES = ['/healthz', '/api/nodes', '/api/multibyte-capability', '/metrics'];
/** Requests served, by "route code", for /metrics. */
const requests = new Map<string, number>();

function send(res: ServerResponse, code: number, body: unknown, type = 'application/json; charset=utf-8') {
  const text = typeof body === 'string' ? body : `${JSON.stringify(body)}\n`;
  res.writeHead(code, { 'content-type': type, 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store' });
  res.end(text);
}

function intParam(params: URLSearchParams, name: string, fallback: number, min: number, max: number): number {
  const raw = params.get(name);
  if (raw === null) return fallback;
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || value < min || value > max) throw new BadRequest(`${name} must be a whole number from ${min} to ${max}, got ${JSON.stringify(raw)}`);
  return value;
}

function statusParam(params: URLSearchParams): NodeStatus | null {
  const raw = params.get('status');
  if (raw === null || raw === '') return null;
  if (!(STATUS_OF_SUP as readonly string[]).includes(raw)) throw new BadRequest(`status must be one of ${STATUS_OF_SUP.join(', ')}, got ${JSON.stringify(raw)}`);
  return raw as NodeStatus;
}

function health(ctx: ApiContext) {
  const schema = checkSchema(ctx.source.db, 'server');
  const last = ctx.state.last;
  const failing = !schema.ok || (last !== null && last.error !== null);
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
      failures: ctx.state.failures,
    },
  };
}

function route(ctx: ApiContext, req: IncomingMessage, url: URL): { code: number; body: unknown; type?: string } {
  switch (url.pathname) {
    case '/healthz':
      return health(ctx);
    case '/api/nodes': {
      const query = { status: statusParam(url.searchParams), limit: intParam(url.searchParams, 'limit', 100, 1, 1000), offset: intParam(url.searchParams, 'offset', 0, 0, Number.MAX_SAFE_INTEGER) };
      const { total, nodes } = listNodes(ctx.source, query);
      return { code: 200, body: { total, limit: query.limit, offset: query.offset, status: query.status, nodes } };
    }
    case '/api/multibyte-capability': {
      const last = ctx.state.lastSuccess;
      return { code: 200, body: { computedAt: last?.at ?? null, seq: last?.seq ?? null, window: ctx.window, counts: last?.counts ?? null, entries: ctx.state.entries } };
    }
    case '/metrics':
      return { code: 200, body: renderMetrics(ctx.state, requests), type: 'text/plain; version=0.0.4; charset=utf-8' };
    default:
      return { code: 404, body: { error: `not found: ${req.method} ${url.pathname}`, paths: ROUTES } };
  }
}


export function createApiServer(ctx: ApiContext): Server {
  return createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    let result: { code: number; body: unknown; type?: string };
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('allow', 'GET, HEAD');
      result = { code: 405, body: { error: `method ${req.method} not allowed: this API is read-only` } };
    } else {
      try {
        result = route(ctx, req, url);
      } catch (error) {
        if (error instanceof BadRequest) result = { code: 400, body: { error: error.message } };
        else result = { code: 503, body: { error: `the database could not answer: ${(error as Error).message}` } };
      }
    }
    const key = `${ROUTES.includes(url.pathname) ? url.pathname : 'other'} ${result.code}`;
    requests.set(key, (requests.get(key) ?? 0) + 1);
    send(res, result.code, result.body, result.type);
  });
}
