// Crash states: what a power cut may leave, explored from a record of what the real
// processes did to their files. `mbcap-ingestor run` holds the database while the server
// publishes (run applies it), `import` stores a batch and `reset` clears a key, all under
// strace (lib/strace-record.mjs); from that record lib/crash-states.mjs builds the states
// a cut may leave at every point (a file's data durable up to its last fsync, possibly torn
// after it; a create, rename or unlink durable once its directory was fsynced), and each
// is checked as the next start would see it. Pass: in every state snapshot.json is a whole snapshot, at least the
// last one acknowledged; integrity_check is ok; every acknowledged apply, import batch and
// reset is there; the next apply leaves the ledger on the file's snapshot. And the same
// activities with a planted fault are caught: the record with the temp file's fsync
// removed, with the directory's fsync removed, and the ingestor really run with
// --synchronous normal (no -wal fsync at commit).
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { basename, join } from 'node:path';
import { isTempName } from '@mbcap/handoff';
import { readSnapshot } from '@mbcap/snapshot';
import { crashStates, withoutSyncs } from '../lib/crash-states.mjs';
import { parseTrace, TRACE_OPTIONS } from '../lib/strace-record.mjs';
import { ACTIVITIES_FIXTURE, ackOf, factsOf, logicalKey, prepareActivities, problemsOf, syncAll, writeState } from '../lib/power-checks.mjs';
import { run } from '../lib/proc.mjs';

// The -shm file is left out of every state: SQLite rebuilds it from the -wal when the first
// connection opens the database, so nothing in it is needed to recover.
const omit = (name) => name.endsWith('-shm');

// Each fault: the same record without some fsyncs (drop), or the activities run again with
// other options (synchronous); `expect` is the problem it must show (numbers read N).
const FAULTS = [
  {
    id: 'no-file-fsync',
    title: 'the snapshot writer without its file fsync',
    drop: (e) => isTempName('snapshot.json', basename(e.path)),
    expect: /not a whole snapshot/,
  },
  {
    id: 'no-dir-fsync',
    title: 'the snapshot writer without its directory fsync',
    drop: (e) => e.path === 'mbcap-snapshot',
    expect: /snapshot.json is seq N, but seq N was acknowledged/,
  },
  { id: 'normal', title: 'the ingestor with --synchronous normal', synchronous: 'normal', expect: /acknowledged (apply|reset)|acknowledged as stored/ },
];

export const hasStrace = () => spawnSync('strace', ['-V']).status === 0;

/** The acknowledgements in a record, each with the first point (cut) that follows it. */
function acksOf(events) {
  const acks = [];
  events.forEach((e, i) => {
    if (e.op === 'output') for (const line of e.text.split('\n')) if (ackOf(line)) acks.push({ ...ackOf(line), point: i + 1 });
  });
  return acks;
}

export async function runCampaign({ rng, quick, work, check, log, shared }) {
  if (!hasStrace()) {
    log('strace is not installed (Debian: apt-get install strace); skipped');
    return { runs: 0, skipped: true, figures: {}, line: 'skipped: strace not found (apt-get install strace)' };
  }
  // The activities' directory, made durable as it is before they start
  const root = join(work, 'root');
  const importFile = join(work, 'packets.jsonl');
  const prepared = await prepareActivities(root, shared, { nodes: 40, packets: quick ? 10 : 30, importFile });
  const base = { seq: (await readSnapshot(prepared.db)).snapshot.seq, transmissions: prepared.transmissions };
  syncAll();
  const initial = { files: new Map(), dirs: ['', 'mbcap-snapshot'] };
  for (const name of ['mesh.db', 'mesh.db-wal', 'mbcap-snapshot/snapshot.json'])
    if (existsSync(join(root, name))) initial.files.set(name, readFileSync(join(root, name)));
  check(
    readdirSync(root).every((n) => n === 'mbcap-snapshot' || n.startsWith('mesh.db')) &&
      readdirSync(join(root, 'mbcap-snapshot')).every((n) => n === 'snapshot.json'),
    `unexpected files before the activities: ${readdirSync(root)}`,
  );

  // The record: the activities under strace, on a copy of the prepared directory
  const steps = quick ? 'publish,reset' : 'publish,import,reset,publish';
  const pristine = join(work, 'pristine');
  cpSync(root, pristine, { recursive: true });
  async function record(extra = []) {
    rmSync(root, { recursive: true, force: true });
    cpSync(pristine, root, { recursive: true });
    const traceFile = join(work, 'trace.txt');
    const recorded = await run(
      'strace',
      [
        ...TRACE_OPTIONS,
        '-o',
        traceFile,
        process.execPath,
        ACTIVITIES_FIXTURE,
        '--db',
        prepared.db,
        '--steps',
        steps,
        '--import',
        importFile,
        '--key',
        prepared.key,
        ...extra,
      ],
      { command: 'strace', timeoutMs: 180_000 },
    );
    if (
      !check(
        recorded.code === 0 && recorded.stdout.includes('"done":true'),
        `the activities under strace failed (exit ${recorded.code}): ${recorded.log.slice(-2000)}`,
      )
    )
      return null;
    const events = parseTrace(readFileSync(traceFile, 'utf8'), root);
    rmSync(traceFile);
    const acks = acksOf(events);
    const kinds = (k) => acks.filter((a) => a.kind === k).length;
    check(
      kinds('publish') === steps.split(',').filter((s) => s === 'publish').length && kinds('apply') === kinds('publish') && kinds('reset') === 1,
      `the record lacks acknowledgements: ${JSON.stringify(acks)}`,
    );
    return { events, acks };
  }
  const recorded = await record();
  if (!recorded) return { runs: 0, figures: {}, line: 'the record failed' };
  const { events } = recorded;

  // Explore: every state at every point, each checked once per distinct content
  const perPoint = quick ? 4 : 24;
  const factsByFiles = new Map();
  const nextByLogical = new Map();
  let dirCount = 0;
  async function explore({ events: variantEvents, acks }, { nextApply }) {
    const tally = { states: 0, distinct: 0, bad: 0, problems: new Map(), example: null };
    const seen = new Set();
    for (const state of crashStates(variantEvents, initial, { perPoint, random: rng.float, omit })) {
      tally.states++;
      const hash = createHash('sha256');
      for (const name of [...state.files.keys()].sort()) hash.update(name).update('\0').update(state.files.get(name)).update('\0');
      const key = `${nextApply}:${hash.digest('hex')}`;
      if (!seen.has(key)) {
        seen.add(key);
        tally.distinct++;
      }
      let facts = factsByFiles.get(key);
      if (!facts) {
        const dir = join(work, 'states', String(dirCount++));
        writeState(dir, state.files);
        facts = await factsOf(dir, { nextApply: false });
        if (nextApply) {
          // States SQLite recovers to the same content are applied once
          const logical = logicalKey(facts);
          if (!nextByLogical.has(logical)) nextByLogical.set(logical, (await factsOf(dir, { nextApply: true })).next);
          facts.next = nextByLogical.get(logical);
        }
        rmSync(dir, { recursive: true, force: true });
        factsByFiles.set(key, facts);
      }
      const problems = problemsOf(
        facts,
        acks.filter((a) => a.point <= state.point),
        base,
      );
      if (problems.length) {
        tally.bad++;
        for (const p of problems) {
          const kind = p.replace(/\d+|[0-9a-f]{64}/g, 'N');
          tally.problems.set(kind, (tally.problems.get(kind) ?? 0) + 1);
        }
        tally.example ??= `cut after event ${state.point} of ${variantEvents.length} (${state.choice || 'everything synced'}): ${problems.join('; ')}`;
      }
    }
    return tally;
  }

  const started = Date.now();
  const real = await explore(recorded, { nextApply: true });
  const realMs = Date.now() - started;
  for (const [kind, n] of real.problems) check(false, `${n} states: ${kind}`);
  if (real.example) log(`first bad state: ${real.example}`);
  check(real.states >= (quick ? 100 : 1000), `only ${real.states} states explored`);
  log(
    `${real.states} states (${real.distinct} distinct, ${nextByLogical.size} applied by the next start), ${real.bad} bad, in ${(realMs / 1000).toFixed(1)} s; ${events.length} events, ${recorded.acks.length} acknowledgements`,
  );

  const faults = [];
  for (const fault of FAULTS) {
    let planted;
    let removed = 0;
    if (fault.drop) {
      const kept = withoutSyncs(events, fault.drop);
      planted = { events: kept, acks: acksOf(kept) };
      removed = events.length - kept.length;
      check(removed > 0, `${fault.id}: the record has no such fsync to remove`);
    } else planted = await record(['--synchronous', fault.synchronous]);
    if (!planted) continue;
    const tally = await explore(planted, { nextApply: false });
    const caught = [...tally.problems.keys()].some((k) => fault.expect.test(k));
    check(caught, `${fault.id} (${fault.title}) not caught: ${tally.bad} bad of ${tally.states}: ${[...tally.problems.keys()].join('; ')}`);
    log(
      `${fault.id}: ${fault.drop ? `${removed} fsyncs removed` : `recorded with --synchronous ${fault.synchronous}`}; ${tally.bad} of ${tally.states} states bad: ${[...tally.problems].map(([k, n]) => `${n}× ${k}`).join('; ')}; e.g. ${tally.example}`,
    );
    faults.push({ id: fault.id, removed, states: tally.states, bad: tally.bad, caught });
  }

  const caught = faults.filter((f) => f.caught).length;
  return {
    runs: real.states,
    figures: { states: real.states, distinct: real.distinct, bad: real.bad, events: events.length, acks: recorded.acks.length, faults },
    line: `${real.states} crash states (${real.distinct} distinct) of ${steps.replace(/,/g, ', ')} under run, from ${events.length} recorded file events: ${real.bad} bad; planted faults caught ${caught}/${faults.length}: ${faults.map((f) => `${f.id} ${f.bad}/${f.states} bad`).join(', ')}`,
  };
}
