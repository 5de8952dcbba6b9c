// Crash states from a system-call record: every state a power cut may leave of the files
// under one directory, built from what real processes did to them (strace), under the
// rules a journaling filesystem keeps (ext4 data=ordered, xfs):
//
//  - a file's data is durable up to its last fsync or fdatasync; of the writes after it,
//    any prefix survives, and the last one of that prefix may be torn (its first half on
//    disk, not the rest);
//  - a create, rename or unlink is durable once its directory was fsynced; of the later
//    ones in that directory, any prefix survives;
//  - files and directories are independent: nothing orders the writes of two files.
//
// Pure: parseTrace turns strace's text into events, crashStates turns events into states.
// Running strace, writing the states to disk and checking them is the caller's.
//
// The record is strace's, with these options (TRACE_OPTIONS): -f (every process and thread,
// in one order), -y (each descriptor with its path), -xx (every string as \xHH, so quotes
// and commas never appear raw), -s (whole buffers).

export const TRACED_CALLS = ['openat', 'write', 'pwrite64', 'lseek', 'fsync', 'fdatasync', 'ftruncate', 'rename', 'renameat', 'renameat2', 'unlink', 'unlinkat', 'mkdir', 'mkdirat'];
export const TRACE_OPTIONS = ['-f', '-qq', '-y', '-xx', '-s', '4194304', '-e', `trace=${TRACED_CALLS.join(',')}`];

const unescape = (text) => Buffer.from(text.replace(/\\x([0-9a-f]{2})/g, (_, h) => String.fromCharCode(Number.parseInt(h, 16))), 'latin1');
const unescapeText = (text) => unescape(text).toString('utf8');

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
  return m ? unescape(m[1]) : null;
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
        if (inRoot(d.path) && bytes.length < ret) throw new Error(`strace kept ${bytes.length} of the ${ret} bytes written to ${d.path}; record with a larger -s`);
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
        const [from, to] = name === 'rename' ? [resolveAt('AT_FDCWD', args[0]), resolveAt('AT_FDCWD', args[1])] : [resolveAt(args[0], args[1]), resolveAt(args[2], args[3])];
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

const dirOf = (name) => (name.includes('/') ? name.slice(0, name.lastIndexOf('/')) : '');

/** The bytes a torn write leaves: its first half, in whole 512-byte sectors when it has some. */
export function tornLength(length) {
  const half = Math.floor(length / 2);
  return length >= 1024 ? half - (half % 512) : half;
}

function applyData(content, ops, count, torn) {
  let buf = content;
  for (let i = 0; i < count; i++) {
    const op = ops[i];
    if (op.type === 'truncate') {
      buf = op.size <= buf.length ? buf.subarray(0, op.size) : Buffer.concat([buf, Buffer.alloc(op.size - buf.length)]);
      continue;
    }
    const bytes = torn && i === count - 1 ? op.bytes.subarray(0, tornLength(op.bytes.length)) : op.bytes;
    const end = op.offset + bytes.length;
    if (end > buf.length) buf = Buffer.concat([buf, Buffer.alloc(end - buf.length)]);
    else buf = Buffer.from(buf);
    bytes.copy(buf, op.offset);
  }
  return buf;
}

/**
 * Every state a power cut may leave, at every point of `events` (after 0, 1, …, all of
 * them). `initial.files` (Map name → Buffer) and `initial.dirs` (names, '' for the root) are
 * the durable state before the first event. Yields {point, files: Map name → Buffer, choice}
 * (`choice` names what survived, for a report). At each point every combination is
 * yielded when there are at most `perPoint` of them; otherwise the two extremes (only what
 * was synced, everything) and random others, drawn with `random()` (a float in [0, 1)).
 * Names for which `omit(name)` is true are left out of the files.
 */
export function* crashStates(events, initial, { perPoint = 64, random = Math.random, omit = () => false } = {}) {
  // Inodes, names, directories
  const inodes = [];
  const newInode = (name, init) => inodes.push({ name, init, ops: [], synced: 0 }) - 1;
  const durableNames = new Map();
  for (const [name, bytes] of initial.files) durableNames.set(name, newInode(name, bytes));
  const live = new Map(durableNames);
  const dirs = new Map();
  const dirState = (dir) => {
    let d = dirs.get(dir);
    if (!d) dirs.set(dir, (d = { ops: [], synced: 0 }));
    return d;
  };
  for (const dir of initial.dirs) dirState(dir);
  const byFd = new Map();

  const inodeOf = (event) => {
    if (!event.deleted && live.has(event.path)) return live.get(event.path);
    const ino = byFd.get(event.fd);
    if (ino === undefined) throw new Error(`the record touches ${event.path} (descriptor ${event.fd}), which no earlier event opened`);
    return ino;
  };
  const dirOp = (dir, op) => {
    dirState(dir).ops.push(op);
  };

  yield* statesAt(0);
  for (let i = 0; i < events.length; i++) {
    const e = events[i];
    switch (e.op) {
      case 'create': {
        let ino = live.get(e.path);
        if (ino === undefined) {
          ino = newInode(e.path, null);
          live.set(e.path, ino);
          dirOp(dirOf(e.path), { type: 'link', name: e.path, ino });
        } else if (e.trunc) inodes[ino].ops.push({ type: 'truncate', size: 0 });
        byFd.set(e.fd, ino);
        break;
      }
      case 'open': {
        if (dirs.has(e.path)) break;
        const ino = live.get(e.path);
        if (ino === undefined) throw new Error(`the record opens ${e.path}, which does not exist at that point`);
        if (e.trunc) inodes[ino].ops.push({ type: 'truncate', size: 0 });
        byFd.set(e.fd, ino);
        break;
      }
      case 'write':
        inodes[inodeOf(e)].ops.push({ type: 'write', offset: e.offset, bytes: e.bytes });
        break;
      case 'truncate':
        inodes[inodeOf(e)].ops.push({ type: 'truncate', size: e.size });
        break;
      case 'sync':
        if (dirs.has(e.path) && !e.deleted) {
          const d = dirs.get(e.path);
          d.synced = d.ops.length;
        } else {
          const node = inodes[inodeOf(e)];
          node.synced = node.ops.length;
        }
        break;
      case 'rename': {
        const ino = live.get(e.from);
        if (ino === undefined) throw new Error(`the record renames ${e.from}, which does not exist at that point`);
        live.delete(e.from);
        live.set(e.to, ino);
        dirOp(dirOf(e.to), { type: 'rename', from: e.from, to: e.to });
        break;
      }
      case 'unlink':
        live.delete(e.path);
        dirOp(dirOf(e.path), { type: 'unlink', name: e.path });
        break;
      case 'mkdir':
        dirState(e.path);
        dirOp(dirOf(e.path), { type: 'mkdir', name: e.path });
        break;
    }
    yield* statesAt(i + 1);
  }

  function* statesAt(point) {
    // What may or may not survive: the unsynced tail of each directory and of each file
    const units = [];
    for (const [dir, d] of dirs) if (d.ops.length > d.synced) units.push({ kind: 'dir', dir, d, from: d.synced, count: d.ops.length - d.synced + 1, total: d.ops.length });
    // Files some surviving name may reach: by a synced name, a live one, or a pending create
    const reachable = new Set([...names(new Map()).values(), ...live.values()]);
    for (const d of dirs.values()) for (let j = d.synced; j < d.ops.length; j++) if (d.ops[j].type === 'link') reachable.add(d.ops[j].ino);
    for (const ino of reachable) {
      const node = inodes[ino];
      if (omit(node.name)) continue;
      const pendingOps = node.ops.length - node.synced;
      // Options: 0..pending ops whole, or 1..pending with the last one torn
      if (pendingOps > 0) units.push({ kind: 'file', ino, node, from: node.synced, count: 2 * pendingOps + 1, total: node.ops.length });
    }
    const total = units.reduce((n, u) => n * u.count, 1);
    const choices = [];
    if (total <= perPoint) {
      for (let c = 0; c < total; c++) {
        let rest = c;
        choices.push(units.map((u) => {
          const v = rest % u.count;
          rest = Math.floor(rest / u.count);
          return v;
        }));
      }
    } else {
      const seen = new Set();
      const add = (choice) => {
        const key = choice.join(',');
        if (!seen.has(key)) {
          seen.add(key);
          choices.push(choice);
        }
      };
      add(units.map(() => 0));
      add(units.map((u) => u.count - 1 - (u.kind === 'file' ? 1 : 0)));
      for (let tries = 0; choices.length < perPoint && tries < perPoint * 4; tries++) add(units.map((u) => Math.floor(random() * u.count)));
    }
    for (const choice of choices) yield { point, choice: describe(units, choice), files: materialise(units, choice) };
  }

  function describe(units, choice) {
    return units
      .map((u, i) => {
        if (u.kind === 'dir') return `names in ${u.dir || '.'}: ${choice[i]} of ${u.count - 1} unsynced`;
        const v = choice[i];
        return `${u.node.name}: ${Math.ceil(v / 2)} of ${(u.count - 1) / 2} unsynced writes${v > 0 && v % 2 === 0 ? ' (the last torn)' : ''}`;
      })
      .join('; ');
  }

  /** The names that survive when directory d keeps its first keep.get(d) ops (default: its synced ones). */
  function names(keep) {
    const result = new Map(durableNames);
    // Directories are independent; within one, its ops keep their order
    for (const d of dirs.values()) {
      const upTo = keep.get(d) ?? d.synced;
      for (let j = 0; j < upTo; j++) {
        const op = d.ops[j];
        if (op.type === 'link') result.set(op.name, op.ino);
        else if (op.type === 'rename') {
          const ino = result.get(op.from);
          result.delete(op.from);
          if (ino !== undefined) result.set(op.to, ino);
        } else if (op.type === 'unlink') result.delete(op.name);
      }
    }
    return result;
  }

  function materialise(units, choice) {
    const keep = new Map();
    const counts = new Map();
    units.forEach((u, i) => {
      if (u.kind === 'dir') keep.set(u.d, u.from + choice[i]);
      else {
        const v = choice[i];
        counts.set(u.ino, { count: u.from + Math.ceil(v / 2), torn: v > 0 && v % 2 === 0 });
      }
    });
    const files = new Map();
    for (const [name, ino] of names(keep)) {
      if (omit(name)) continue;
      const node = inodes[ino];
      const { count, torn } = counts.get(ino) ?? { count: node.ops.length, torn: false };
      files.set(name, applyData(node.init ?? Buffer.alloc(0), node.ops, count, torn));
    }
    return files;
  }
}

/** `events` without the syncs `drop(event)` chooses: the same activity with those fsyncs removed. */
export const withoutSyncs = (events, drop) => events.filter((e) => !(e.op === 'sync' && drop(e)));
