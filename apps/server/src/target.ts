// The request target of an HTTP request line, read without ever throwing: whatever bytes a
// client sends, the answer is a route, a 404 or a 400, never an exception.

export type Target = { path: string; params: URLSearchParams };

// absolute-form (RFC 9112 §3.2.2), as sent to proxies: scheme and authority go
const ABSOLUTE = /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\/[^/?#]*/;

/** The path (not decoded, not normalised) and query of `raw`, or null when it is neither origin- nor absolute-form. */
export function parseTarget(raw: string | undefined): Target | null {
  if (typeof raw !== 'string' || raw === '') return null;
  let target = raw;
  const absolute = ABSOLUTE.exec(target);
  if (absolute !== null) target = target.slice(absolute[0].length) || '/';
  if (target[0] !== '/') return null;
  const hash = target.indexOf('#');
  if (hash !== -1) target = target.slice(0, hash);
  const question = target.indexOf('?');
  if (question === -1) return { path: target, params: new URLSearchParams() };
  return { path: target.slice(0, question), params: new URLSearchParams(target.slice(question + 1)) };
}
