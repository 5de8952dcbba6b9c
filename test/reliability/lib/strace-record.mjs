// A system-call record of what processes did to the files under one directory: strace's
// text in, events out. Pure; running strace is the caller's (with TRACE_OPTIONS and -o FILE).
//
// The options: -f (every process and thread, in one order), -y (each descriptor with its
// path), -xx (every string as \xHH, so quotes and commas never appear raw), -s (whole
// buffers; a record with a buffer cut short is refused). crash-states.mjs turns the events
// into the states a power cut may leave.

export const TRACED_CALLS = [
  'openat',
  'write',
  'pwrite64',
  'lseek',
  'fsync',
  'fdatasync',
  'ftruncate',
  'rename',
  'renameat',
  'renameat2',
  'unlink',
  'unlinkat',
  'mkdir',
  'mkdirat',
];
export const TRACE_OPTIONS = ['-f', '-qq', '-y', '-xx', '-s', '4194304', '-e', `trace=${TRACED_CALLS.join(',')}`];

const fromStraceText = (text) =>
  Buffer.from(
    text.replace(/\\x([0-9a-f]{2})/g, (_, h) => String.fromCharCode(Number.parseInt(h, 16))),
    'latin1',
  );
const unescapeText = (text) => fromStraceText(text).toString('utf8');

/** Splits strace arguments at top-level commas (strings are hex-escaped, so only brackets nest). */
function splitArgs(text) {
  const args = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '<' || c === '[' || c === '{' || c === '(') depth++;
    else if (c === '>' || c === ']' || c === '}' || c === ')') depth--;
    else if (c === ',' && depth === 0) {
      args.push(text.slice(start, i).trim());
      start = i + 1;
    }
  }
  if (text.trim() !== '') args.push(text.slice(start).trim());
  return args;
}

/** `5</path>` → {fd: 5, path: '/path', deleted}. */
function descriptor(arg) {
  const m = /^(-?\d+|AT_FDCWD)(?:<(.*)>)?$/.exec(arg);
  if (!m) return { fd: null, path: null, deleted: false };
  let path = m[2] === undefined ? null : unescapeText(m[2]);
  let deleted = false;
  if (path?.endsWith(' (deleted)')) {
    path = path.slice(0, -' (deleted)'.length);
    deleted = true;
  }
  return { fd: m[1] === 'AT_FDCWD' ? null : Number(m[1]), path, deleted };
}
/** The bytes of a string argument (`"\x41…"`, possibly followed by `...`), or null. */
function quoted(arg) {
  const m = /^"(.*)"(?:\.\.\.)?$/.exec(arg);
  return m ? fromStraceText(m[1]) : null;
}

/**
 * Events of the files under `root` (an absolute path), in the order strace saw them
 * complete, with paths relative to root ('' is root itself). Writes to descriptors 1 and 2
 * of any process are `output` events: the processes' results and log lines.
 *
 *   {op: 'create', path, fd}        openat with O_CREAT of a name that may be new
 *   {op: 'open', path, fd, trunc}   openat of an existing file (trunc: O_TRUNC)
 *   {op: 'write', path, fd, offset, bytes, deleted}
 *   {op: 'truncate', path, fd, size, deleted}
 *   {op: 'sync', path, fd, deleted}     fsync or fdatasync (a file's data, or a directory's names)
 *   {op: 'rename', from, to} | {op: 'unlink', path} | {op: 'mkdir', path}
 *   {op: 'output', pid, fd, text}
 */
export function parseTrace(text, root) {
  const rootSlash = root.endsWith('/') ? root : `${root}/`;
  const inRoot = (p) => p !== null && (p === root || p === rootSlash.slice(0, -1) || p.startsWith(rootSlash));
  const rel = (p) => (p === root || p === rootSlash.slice(0, -1) ? '' : p.slice(rootSlash.length));
  const resolveAt = (dirArg, nameArg) => {
    const name = quoted(nameArg)?.toString('utf8') ?? '';
    if (name.startsWith('/')) return name;
    const dir = descriptor(dirArg).path ?? process.cwd();
    return `${dir}/${name}`;
  };

  // Join the halves of calls that another thread interrupted
  const pending = new Map();
  const lines = [];
  for (const line of text.split('\n')) {
    let m = /^(\d+) +(.*) <unfinished \.\.\.>$/.exec(line);
    if (m) {
      pending.set(m[1], m[2]);
      continue;
    }
    m = /^(\d+) +<\.\.\. \w+ resumed>(.*)$/.exec(line);
    if (m) {
      const head = pending.get(m[1]);
      pending.delete(m[1]);
      if (head !== undefined) lines.push({ pid: Number(m[1]), call: head + m[2] });
      continue;
    }
    m = /^(\d+) +(.*)$/.exec(line);
    if (m) lines.push({ pid: Number(m[1]), call: m[2] });
  }

  const events = [];
  const positions = new Map(); // fd|path → offset of the next write()
  for (const { pid, call } of lines) {
    const m = /^(\w+)\((.*)\) += (-?\d+)(?:<(.*?)>)?(?: .*)?$/.exec(call);
    if (!m) continue;
    const [, name, argText, retText] = m;
    const ret = Number(retText);
    if (ret < 0) continue;
    const args = splitArgs(argText);
    switch (name) {
      case 'openat': {
        const opened = descriptor(`${ret}${m[4] === undefined ? '' : `<${m[4]}>`}`);
        const path = opened.path ?? resolveAt(args[0], args[1]);
        if (!inRoot(path)) break;
        const flags = args[2] ?? '';
        positions.set(`${ret}|${path}`, 0);
        if (/O_CREAT/.test(flags)) events.push({ op: 'create', path: rel(path), fd: ret, trunc: /O_TRUNC/.test(flags) });
        else events.push({ op: 'open', path: rel(path), fd: ret, trunc: /O_TRUNC/.test(flags) });
        break;
      }
      case 'write':
      case 'pwrite64': {
        const d = descriptor(args[0]);
        const bytes = quoted(args[1])?.subarray(0, ret) ?? Buffer.alloc(0);
        if (inRoot(d.path) && bytes.length < ret)
          throw new Error(`strace kept ${bytes.length} of the ${ret} bytes written to ${d.path}; record with a larger -s`);
        if ((d.fd === 1 || d.fd === 2) && !inRoot(d.path)) {
          if (name === 'write') events.push({ op: 'output', pid, fd: d.fd, text: bytes.toString('utf8') });
          break;
        }
        if (!inRoot(d.path)) break;
        const key = `${d.fd}|${d.path}`;
        let offset;
        if (name === 'pwrite64') offset = Number(args[3]);
        else {
          offset = positions.get(key) ?? 0;
          positions.set(key, offset + ret);
        }
        events.push({ op: 'write', path: rel(d.path), fd: d.fd, offset, bytes, deleted: d.deleted });
        break;
      }
      case 'lseek': {
        const d = descriptor(args[0]);
        if (inRoot(d.path)) positions.set(`${d.fd}|${d.path}`, ret);
        break;
      }
      case 'ftruncate': {
        const d = descriptor(args[0]);
        if (inRoot(d.path)) events.push({ op: 'truncate', path: rel(d.path), fd: d.fd, size: Number(args[1]), deleted: d.deleted });
        break;
      }
      case 'fsync':
      case 'fdatasync': {
        const d = descriptor(args[0]);
        if (inRoot(d.path)) events.push({ op: 'sync', path: rel(d.path), fd: d.fd, deleted: d.deleted });
        break;
      }
      case 'rename':
      case 'renameat':
      case 'renameat2': {
        const [from, to] =
          name === 'rename' ? [resolveAt('AT_FDCWD', args[0]), resolveAt('AT_FDCWD', args[1])] : [resolveAt(args[0], args[1]), resolveAt(args[2], args[3])];
        if (inRoot(from) || inRoot(to)) events.push({ op: 'rename', from: rel(from), to: rel(to) });
        break;
      }
      case 'unlink':
      case 'unlinkat': {
        const path = name === 'unlink' ? resolveAt('AT_FDCWD', args[0]) : resolveAt(args[0], args[1]);
        if (inRoot(path)) events.push({ op: 'unlink', path: rel(path) });
        break;
      }
      case 'mkdir':
      case 'mkdirat': {
        const path = name === 'mkdir' ? resolveAt('AT_FDCWD', args[0]) : resolveAt(args[0], args[1]);
        if (inRoot(path)) events.push({ op: 'mkdir', path: rel(path) });
        break;
      }
    }
  }
  return events;
}
