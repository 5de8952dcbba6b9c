// The operator's page at `/` and what only it asks for: its static files (apps/server/page,
// shipped with the package, no build step), uPlot from the installed package, and
// GET /api/adoption. Everything else the page shows comes from the API as it is.
//
// Node names come from radio packets: the page only ever puts them in as text, and its
// Content-Security-Policy lets nothing run but the scripts served here.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { payloadTypeName, routeTypeName } from '@mbcap/meshcore';
import { adoptionOf } from './adoption.js';
import type { ApiContext } from './http.js';
import type { Result } from './request.js';

const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "connect-src 'self'",
  "img-src 'self' data:",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const HEADERS = { 'content-security-policy': CSP, 'x-content-type-options': 'nosniff', 'referrer-policy': 'no-referrer' };

// From src/ (tests under tsx) and from dist/ alike, the page's folder is ../page
const pageFile = (name: string) => fileURLToPath(new URL(`../page/${name}`, import.meta.url));
const uplotFile = (name: string) => createRequire(import.meta.url).resolve(`uplot/dist/${name}`);

const FILES: Record<string, { path: () => string; type: string }> = {
  '/': { path: () => pageFile('index.html'), type: 'text/html; charset=utf-8' },
  '/page/page.js': { path: () => pageFile('page.js'), type: 'text/javascript; charset=utf-8' },
  '/page/page.css': { path: () => pageFile('page.css'), type: 'text/css; charset=utf-8' },
  '/page/uPlot.iife.min.js': { path: () => uplotFile('uPlot.iife.min.js'), type: 'text/javascript; charset=utf-8' },
  '/page/uPlot.min.css': { path: () => uplotFile('uPlot.min.css'), type: 'text/css; charset=utf-8' },
};

/** The names the page gives route and payload types, from the codec's own tables. */
const NAMES = {
  route: Array.from({ length: 4 }, (_, i) => routeTypeName(i)),
  payload: Array.from({ length: 16 }, (_, i) => payloadTypeName(i)),
};

export const PAGE_ROUTES = [...Object.keys(FILES), '/page/names.json', '/api/adoption'];

/** Read once, on first request; a file missing from the install is said, not thrown. */
const loaded = new Map<string, Uint8Array>();

function file(route: string): Result {
  const { path, type } = FILES[route]!;
  let bytes = loaded.get(route);
  if (bytes === undefined) {
    let where = route;
    try {
      where = path();
      bytes = readFileSync(where);
    } catch (error) {
      return {
        code: 500,
        body: { error: `the page's file ${where} is missing from this install (${(error as Error).message}); reinstall with node scripts/setup.mjs` },
      };
    }
    loaded.set(route, bytes);
  }
  return { code: 200, parts: [bytes], type, headers: HEADERS };
}

/** The answer for a page route, or null when `path` is none of them. */
export function pageRoute(ctx: ApiContext, path: string): Result | null {
  if (Object.hasOwn(FILES, path)) return file(path);
  if (path === '/page/names.json') return { code: 200, body: NAMES, headers: HEADERS };
  if (path !== '/api/adoption') return null;
  const kept = ctx.state.kept;
  if (kept === null) return { code: 503, body: { error: 'no analytics cycle has finished yet (see /healthz); retry in a few seconds' }, retryAfter: 2 };
  return {
    code: 200,
    body: {
      computedAt: new Date(kept.computedAt).toISOString(),
      window: ctx.window,
      windowStart: kept.since === null ? null : new Date(kept.since).toISOString(),
      ...adoptionOf(kept),
    },
  };
}
