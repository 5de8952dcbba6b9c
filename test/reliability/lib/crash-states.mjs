// Crash states: every state a power cut may leave of the files under one directory, built
// from what real processes did to them (events of strace-record.mjs), under the rules a
// journaling filesystem keeps (ext4 data=ordered, xfs):
//
//  - a file's data is durable up to its last fsync or fdatasync; of the writes after it,
//    any prefix survives, and the last one of that prefix may be torn (its first half on
//    disk, not the rest);
//  - a create, rename or unlink is durable once its directory was fsynced; of the later
//    ones in that directory, any prefix survives;
//  - files and directories are independent: nothing orders the writes of two files.
//
// Pure: events in, states out. Writing the states to disk and checking them is the caller's.

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
    for (const [dir, d] of dirs)
      if (d.ops.length > d.synced) units.push({ kind: 'dir', dir, d, from: d.synced, count: d.ops.length - d.synced + 1, total: d.ops.length });
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
        choices.push(
          units.map((u) => {
            const v = rest % u.count;
            rest = Math.floor(rest / u.count);
            return v;
          }),
        );
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
