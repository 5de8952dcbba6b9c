// Hostile files: every kind of lib/hostile.mjs is put where the snapshot goes while
// `mbcap-ingestor run` is running (without a key, then with --hmac-key-file for the
// signature kinds), each followed by a good publish. Then a sample through the one-shot
// `apply` and `status` commands. Pass: no crash, no unintended row change (rows compared
// with the model after every step, row counts too), a log line with the code or the
// outcome for each, and the next good publish applied every time.
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeSnapshot } from '@mbcap/snapshot';
import { diffModels, readModel, STATUS_OF_SUP } from '../lib/meshdb.mjs';
import { applyToModel, risen } from '../lib/snapshots.mjs';
import { plainKinds, signedKinds } from '../lib/hostile.mjs';
import { ingestorBin, run, sleep, start } from '../lib/proc.mjs';

const FAR_AWAY = '0 0 1 1 *';
const OUTCOME_LINE = /applied snapshot|snapshot refused|is stale|could not (read|apply)/;
const DIR_GONE = 'queue directory removed and made again';
const lastly = (kinds, last) => [...kinds, last];
const escapeRegExp = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

export async function runCampaign({ rng, quick, work, check, log, shared }) {
  const nodes = 2000;
  const db = join(work, 'mesh.db');
  const queue = join(work, 'mbcap-snapshot');
  const file = join(queue, 'snapshot.json');
  const { keys, keyIndex, model } = await shared.meshDb(nodes, db);
  const side = join(work, 'side');
  mkdirSync(side);
  const key = rng.hex(24);
  const keyFile = join(work, 'hmac.key');
  writeFileSync(keyFile, `${key}\n`, { mode: 0o600 });

  let current = model;
  let lastGood = null;
  let firsts = 0;
  const c = {
    rng,
    side,
    dbPath: db,
    key,
    now: () => Date.now() + 1,
    /**
     * A genuine file from the real writer (beside, not in the queue). `first: true` writes
     * it as a publisher's first (seq 1), as an old file put back would be.
     */
    async good(entries, options = {}) {
      const dir = options.first ? join(side, `first-${++firsts}`) : side;
      await writeSnapshot(join(dir, 'mesh.db'), { entries, writtenAt: options.writtenAt }, { hmacKey: options.hmacKey });
      return readFileSync(join(dir, 'mbcap-snapshot', 'snapshot.json'));
    },
    someKeys: (n) => rng.shuffle(keys).slice(0, n),
    /** n entries that would change their rows (status given or random). */
    changes(n, status) {
      const out = [];
      for (const i of rng.shuffle(keys.map((_, i) => i))) {
        if (out.length === n) break;
        const s = status ?? rng.pick(['confirmed', 'suspected']);
        const evidence = s === 'confirmed' ? 'advert' : 'path';
        if (risen(current[i], s, evidence) === current[i]) continue; // holds it, or a higher value
        out.push({ public_key: keys[i], status: s, evidence });
      }
      return out;
    },
    lastGood: () => lastGood,
  };

  const counts = { kinds: 0, placed: 0, rejected: 0, applied: 0, stale: 0, silent: 0, skipped: 0, goodApplied: 0, applyRuns: 0, statusRuns: 0 };
  const skipped = [];
  const slowest = { ms: 0, after: '' };

  function checkRows(label, expected) {
    const { model: now, rows } = readModel(db, keyIndex, nodes);
    const diff = diffModels(now, expected);
    check(
      diff.count === 0,
      `${label}: ${diff.count} rows differ from what was expected (first: node ${diff.first}, ${STATUS_OF_SUP[now[diff.first] >> 2]} instead of ${STATUS_OF_SUP[expected[diff.first] >> 2]})`,
    );
    check(
      rows.nodes + rows.inactive_nodes === nodes && rows.foreign === 0 && rows.misplaced === 0,
      `${label}: rows added, removed or moved: ${JSON.stringify(rows)}`,
    );
    current = now;
  }

  /** Puts the hostile thing in place; returns its cleanup. */
  async function place(made) {
    mkdirSync(queue, { recursive: true });
    if (made.bytes) {
      writeFileSync(join(queue, 'hostile.part'), made.bytes);
      renameSync(join(queue, 'hostile.part'), file);
    } else if (made.at === 'path') {
      await made.place(file);
    } else {
      const temp = join(queue, 'hostile.part');
      rmSync(temp, { force: true, recursive: true });
      await made.place(temp, file);
      renameSync(temp, file);
    }
    return made.cleanup ?? (() => {});
  }

  // --- Against `run` -------------------------------------------------------------------
  const plain = plainKinds();
  const phases = [
    // Removing the queue directory costs the watch for good (see the report): that kind goes last
    {
      name: 'no key',
      kinds: lastly(
        (quick ? rng.shuffle(plain).slice(0, 16) : plain).filter((k) => k.name !== DIR_GONE),
        plain.find((k) => k.name === DIR_GONE),
      ),
      args: [],
      hmacKey: undefined,
    },
    { name: 'with --hmac-key-file', kinds: quick ? rng.shuffle(signedKinds()).slice(0, 6) : signedKinds(), args: ['--hmac-key-file', keyFile], hmacKey: key },
  ];
  for (const phase of phases) {
    const proc = start(ingestorBin, ['run', '--db', db, '--cron', FAR_AWAY, '--poll', '2s', ...phase.args]);
    check((await proc.waitFor(/info {2}watching /, 20_000)) !== null, `run (${phase.name}) did not start: ${proc.log()}`);

    const publishGood = async (label) => {
      const entries = c.changes(20);
      const expected = applyToModel(current, entries, keyIndex);
      const from = proc.log().length;
      const t0 = Date.now();
      const written = await writeSnapshot(db, { entries }, { hmacKey: phase.hmacKey });
      const seen = await proc.waitFor(new RegExp(`applied snapshot seq ${written.seq} `), 8000, from);
      const reactionMs = Date.now() - t0;
      if (reactionMs > slowest.ms) Object.assign(slowest, { ms: reactionMs, after: label });
      if (check(seen !== null, `${label}: the next good publish (seq ${written.seq}) was not applied: ${proc.log().slice(from).slice(-600)}`))
        counts.goodApplied++;
      checkRows(`${label}, next good publish`, expected);
      lastGood = readFileSync(file);
    };
    await publishGood(`${phase.name}: first`);

    for (const kind of phase.kinds) {
      const label = `${phase.name}: ${kind.name}`;
      if (process.env.RELIABILITY_VERBOSE) log(`${new Date().toISOString()} ${label}`);
      counts.kinds++;
      let made;
      try {
        made = await kind.make(c);
      } catch (error) {
        skipped.push(`${kind.name} (${error.message.split('\n')[0]})`);
        counts.skipped++;
        continue;
      }
      const expected = made.effective ? applyToModel(current, made.effective, keyIndex) : current;
      const from = proc.log().length;
      let cleanup;
      try {
        cleanup = await place(made);
      } catch (error) {
        skipped.push(`${kind.name} (cannot make it here: ${error.message.split('\n')[0]})`);
        counts.skipped++;
        continue;
      }
      counts.placed++;
      const { outcome, code } = kind.expect;
      if (outcome === 'rejected') {
        const seen = await proc.waitFor(new RegExp(`snapshot refused: .*?\\(${escapeRegExp(code)}:`), 8000, from);
        if (check(seen !== null, `${label}: no "snapshot refused: … (${code}: …)" line; the log says: ${proc.log().slice(from).slice(0, 600) || '(nothing)'}`))
          counts.rejected++;
      } else if (outcome === 'applied') {
        const seen = await proc.waitFor(/applied snapshot [^\n]*/, 15_000, from);
        if (check(seen !== null, `${label}: not applied; the log says: ${proc.log().slice(from).slice(0, 600) || '(nothing)'}`)) counts.applied++;
        if (kind.expect.invalid)
          check(
            new RegExp(`${kind.expect.invalid} invalid entr`).test(seen?.[0] ?? ''),
            `${label}: expected ${kind.expect.invalid} invalid entries dropped: ${seen?.[0]}`,
          );
        if (!kind.expect.transientMalformed)
          check(!/snapshot refused/.test(proc.log().slice(from)), `${label}: reported malformed: ${proc.log().slice(from).slice(0, 400)}`);
      } else if (outcome === 'stale') {
        const seen = await proc.waitFor(/is stale/, 8000, from);
        if (check(seen !== null, `${label}: no "stale" line; the log says: ${proc.log().slice(from).slice(0, 600) || '(nothing)'}`)) counts.stale++;
      } else {
        await sleep(600);
        const said = OUTCOME_LINE.exec(proc.log().slice(from));
        if (check(said === null, `${label}: expected nothing to happen; the log says: ${proc.log().slice(from).slice(0, 400)}`)) counts.silent++;
      }
      check(proc.alive(), `${label}: run died: ${proc.log().slice(-1000)}`);
      if (!proc.alive()) break;
      check(!/ error /.test(proc.log().slice(from)), `${label}: an error line: ${/[^\n]* error [^\n]*/.exec(proc.log().slice(from))?.[0]}`);
      checkRows(label, expected);
      await cleanup(file);
      await publishGood(label);
    }
    const stopped = await proc.kill('SIGTERM');
    if (process.env.RELIABILITY_VERBOSE) log(stopped.log);
    check(stopped.code === 0, `run (${phase.name}) exit ${stopped.code}/${stopped.signal} after SIGTERM`);
    check(!/\n\s+at |Uncaught|TypeError|RangeError/.test(stopped.stderr), `run (${phase.name}): a stack trace in the log`);
  }
  const copies = readdirSync(join(queue, 'rejected')).filter((n) => !n.startsWith('.'));
  check(copies.length <= 10, `${copies.length} rejected copies kept (at most 10)`);

  // --- Through `apply` and `status` ----------------------------------------------------
  const special = quick
    ? ['unix socket', 'FIFO', 'directory', 'character device']
    : ['unix socket', 'FIFO', 'directory', 'character device', 'symlink loop', 'huge sparse file (300 MiB)'];
  const candidates = plain.filter((k) => k.expect.outcome !== 'silent' && !k.expect.transientMalformed && !special.includes(k.name));
  const sample = [...plain.filter((k) => special.includes(k.name)), ...rng.shuffle(candidates).slice(0, quick ? 1 : 12)];
  for (const kind of sample) {
    const label = `apply: ${kind.name}`;
    if (process.env.RELIABILITY_VERBOSE) log(label);
    let made;
    let cleanup;
    try {
      made = await kind.make(c);
      cleanup = await place(made);
    } catch (error) {
      skipped.push(`apply ${kind.name} (${error.message.split('\n')[0]})`);
      continue;
    }
    const expected = made.effective ? applyToModel(current, made.effective, keyIndex) : current;
    const applied = await run(ingestorBin, ['apply', '--db', db, '--json'], { timeoutMs: 30_000 });
    counts.applyRuns++;
    let out = {};
    try {
      out = JSON.parse(applied.stdout);
    } catch {
      // reported below
    }
    check(applied.code === 0, `${label}: exit ${applied.code}${applied.timedOut ? ' (hung, killed after 30 s)' : ''}: ${applied.stderr.slice(0, 400)}`);
    const want = kind.expect.outcome === 'rejected' ? 'malformed' : kind.expect.outcome;
    check(
      out.status === want && (want !== 'malformed' || out.code === kind.expect.code),
      `${label}: status ${out.status} ${out.code ?? ''}, expected ${want} ${kind.expect.code ?? ''}`,
    );
    checkRows(label, expected);
    const status = await run(ingestorBin, ['status', '--db', db, '--json'], { timeoutMs: 30_000 });
    counts.statusRuns++;
    check(
      status.code === 0,
      `status with ${kind.name}: exit ${status.code}${status.timedOut ? ' (hung, killed after 30 s)' : ''}: ${status.stderr.slice(0, 400)}`,
    );
    await cleanup(file);
    const entries = c.changes(10);
    const next = applyToModel(current, entries, keyIndex);
    await writeSnapshot(db, { entries });
    const good = await run(ingestorBin, ['apply', '--db', db, '--json'], { timeoutMs: 30_000 });
    counts.applyRuns++;
    check(good.code === 0 && JSON.parse(good.stdout || '{}').status === 'applied', `${label}: the next good publish: ${good.stdout}${good.stderr}`);
    checkRows(`${label}, next good publish`, next);
  }

  if (skipped.length) log(`skipped: ${skipped.join('; ')}`);
  return {
    runs: counts.placed + counts.applyRuns / 2,
    figures: { ...counts, slowest, skippedKinds: skipped },
    line: `${counts.kinds} kinds (${phases[1].kinds.length} with --hmac-key-file) under run: ${counts.rejected} rejected with their code, ${counts.applied} applied (valid part only), ${counts.stale} stale, ${counts.silent} ignored, ${counts.skipped} not makeable here; next good publish applied ${counts.goodApplied}/${counts.placed + 2} (slowest ${slowest.ms} ms, after "${slowest.after.replace(/^[^:]*: /, '')}"); ${sample.length} through apply + status; 0 crashes`,
  };
}
