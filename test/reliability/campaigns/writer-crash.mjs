// Writer crash: SIGKILL a publishing process at random instants, again and again: the
// pattern publisher (the library's writeSnapshot) and the real `mbcap-server publish`.
// Some kills are aimed at the write itself (the moment the temp file appears, plus a few
// ms). Pass: after every kill the file is the previous snapshot or a whole new one of the
// killed writer, never invalid; temp files of killed writers are swept by the next write
// that completes (they never pile up), and nothing else appears in the directory.
import { mkdirSync, readdirSync, watch } from 'node:fs';
import { join } from 'node:path';
import { isTempName } from '@mbcap/handoff';
import { readSnapshot } from '@mbcap/snapshot';
import { fixture, run, serverBin, sleep, start } from '../lib/proc.mjs';

const STATUSES = ['confirmed', 'suspected', 'unknown'];

/** Whole snapshot of pattern writer `tag` (see publisher.mjs), or what is wrong with it. */
function patternProblem(entries, tag, size) {
  if (entries.length !== size) return `${entries.length} entries, expected ${size}`;
  const prefix = entries[0].public_key.slice(0, 10);
  if (!prefix.startsWith(tag)) return `written by writer ${prefix.slice(0, 4)}, not by the killed one (${tag})`;
  const round = Number.parseInt(prefix.slice(4), 16);
  for (let i = 0; i < size; i++) {
    if (entries[i].public_key !== prefix + i.toString(16).padStart(8, '0') || entries[i].status !== STATUSES[(round + i) % 3])
      return `entry ${i} does not belong to round ${round}`;
  }
  return null;
}

export async function runCampaign({ rng, quick, work, check, log, shared }) {
  const kills = quick ? 20 : 200;
  const size = quick ? 5000 : 20_000;
  const db = join(work, 'pattern', 'mesh.db');
  const serverDb = join(work, 'server', 'mesh.db');
  mkdirSync(join(work, 'pattern', 'mbcap-snapshot'), { recursive: true });
  mkdirSync(join(work, 'server'), { recursive: true });
  const serverNodes = quick ? 5000 : 20_000;
  const { keyIndex } = await shared.meshDb(serverNodes, serverDb);

  // How long a whole server publish takes here, to aim the kills inside it
  const timed = Date.now();
  const first = await run(serverBin, ['publish', '--db', serverDb], { timeoutMs: 60_000 });
  const publishMs = Date.now() - timed;
  check(first.code === 0, `a plain server publish failed: ${first.log}`);

  const counts = { previous: 0, fresh: 0, absent: 0, midWrite: 0, finished: 0, aimed: 0, random: 0, server: 0, maxTemps: 0 };
  const state = { pattern: null, server: (await readSnapshot(serverDb)).contentHash };
  for (let k = 0; k < kills; k++) {
    const kind = rng.float() < 0.15 ? 'server' : rng.chance(0.5) ? 'aimed' : 'random';
    counts[kind]++;
    const target = kind === 'server' ? serverDb : db;
    const queue = join(target, '..', 'mbcap-snapshot');
    const previous = kind === 'server' ? state.server : state.pattern;
    const tag = (k % 65536).toString(16).padStart(4, '0');

    let proc;
    if (kind === 'server') {
      proc = start(serverBin, ['publish', '--db', serverDb]);
      await sleep(rng.int(Math.max(50, Math.round(publishMs * 1.1))));
    } else {
      proc = start(fixture('publisher.mjs'), ['--db', db, '--entries', String(size), '--tag', String(k), '--quiet']);
      if (kind === 'aimed') {
        // Kill a few ms after one of its temp files appears: inside write, fsync or rename
        const extra = rng.int(12);
        const watcher = watch(queue);
        await new Promise((resolve) => {
          const timer = setTimeout(resolve, 5000);
          watcher.on('change', (_event, name) => {
            if (name && isTempName('snapshot.json', String(name)) && String(name).includes(`.${proc.pid}.`)) {
              clearTimeout(timer);
              setTimeout(resolve, extra);
            }
          });
        });
        watcher.close();
      } else {
        await proc.waitFor(/ready/, 10_000);
        await sleep(rng.int(150));
      }
    }
    proc.kill('SIGKILL');
    const exit = await proc.exited;
    if (exit.signal !== 'SIGKILL') counts.finished++;

    // The file: the previous snapshot or a whole new one
    let read = null;
    try {
      read = await readSnapshot(target);
    } catch (error) {
      if (error.code === 'NOT_FOUND' && previous === null) counts.absent++;
      else check(false, `kill ${k} (${kind}): the snapshot is unreadable: ${error.code}: ${error.message}`);
    }
    if (read) {
      if (read.contentHash === previous) counts.previous++;
      else {
        counts.fresh++;
        if (kind === 'server') {
          const keys = read.snapshot.entries.map((e) => e.public_key);
          check(
            keys.length === keyIndex.size && keys.every((key) => keyIndex.has(key)),
            `kill ${k} (server): a new snapshot of ${keys.length} entries that is not every node`,
          );
        } else {
          const problem = patternProblem(read.snapshot.entries, tag, size);
          check(problem === null, `kill ${k} (${kind}): a new snapshot that is not whole: ${problem}`);
        }
        check(read.invalid === 0, `kill ${k}: ${read.invalid} invalid entries`);
        if (kind === 'server') state.server = read.contentHash;
        else state.pattern = read.contentHash;
      }
    }

    // The directory: at most the killed writer's temp file, nothing else
    const names = readdirSync(queue);
    const temps = names.filter((n) => isTempName('snapshot.json', n));
    const others = names.filter((n) => n !== 'snapshot.json' && !temps.includes(n));
    counts.maxTemps = Math.max(counts.maxTemps, temps.length);
    if (temps.some((n) => n.includes(`.${proc.pid}.`))) counts.midWrite++;
    // A writer that completed a write swept the temp files of dead writers before it
    if (read && read.contentHash !== previous)
      check(
        temps.every((n) => n.includes(`.${proc.pid}.`)),
        `kill ${k}: a write completed, yet temp files of dead writers are left: ${temps.join(', ')}`,
      );
    check(temps.length <= 3, `kill ${k}: temp files pile up: ${temps.join(', ')}`);
    check(others.length === 0, `kill ${k}: unexpected files: ${others.join(', ')}`);
  }

  // One more write of each kind sweeps what the last kill left
  const last = await run(fixture('publisher.mjs'), ['--db', db, '--count', '1', '--entries', '10', '--quiet'], { timeoutMs: 30_000 });
  check(last.code === 0, `the final pattern publish failed: ${last.log}`);
  const lastServer = await run(serverBin, ['publish', '--db', serverDb], { timeoutMs: 60_000 });
  check(lastServer.code === 0, `the final server publish failed: ${lastServer.log}`);
  for (const dir of [join(work, 'pattern', 'mbcap-snapshot'), join(work, 'server', 'mbcap-snapshot')]) {
    const left = readdirSync(dir).filter((n) => n !== 'snapshot.json');
    check(left.length === 0, `after a clean write, still in ${dir}: ${left.join(', ')}`);
  }
  log(`${JSON.stringify(counts)}; server publish ${publishMs} ms`);
  check(counts.midWrite >= Math.ceil(kills / 10), `only ${counts.midWrite} kills landed mid-write (the kills are not aimed well)`);

  return {
    runs: kills,
    figures: { ...counts, publishMs },
    line: `${kills} SIGKILLs (${counts.aimed} aimed at the write, ${counts.random} random, ${counts.server} server publish): ${counts.previous} left the previous, ${counts.fresh} a whole new one, 0 invalid; ${counts.midWrite} mid-write; temps left at most ${counts.maxTemps}, 0 after the next write`,
  };
}
