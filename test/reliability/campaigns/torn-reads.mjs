// Torn reads: two writer processes publish in a loop, one reader process reads and checks
// every read (library and raw bytes). Pass: no torn or invalid read, the file never
// vanishes once there, no writer error, no temp file left.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fixture, run, sleep, start } from '../lib/proc.mjs';

export async function runCampaign({ rng, quick, work, check }) {
  const reads = quick ? 1500 : 10_000;
  const entries = rng.pick([800, 1000, 1200]);
  const db = join(work, 'mesh.db');
  const writers = [1, 2].map((tag) => start(fixture('publisher.mjs'), ['--db', db, '--entries', String(entries), '--tag', String(tag), '--quiet']));
  await Promise.all(writers.map((w) => w.waitFor(/ready/, 10_000)));
  await sleep(rng.between(0, 50));
  const reader = await run(fixture('reader.mjs'), ['--db', db, '--reads', String(reads), '--entries', String(entries), '--seconds', quick ? '30' : '240'], {
    timeoutMs: quick ? 40_000 : 260_000,
  });
  const done = await Promise.all(writers.map((w) => w.kill('SIGTERM')));

  const r = JSON.parse(reader.stdout.trim().split('\n').at(-1) ?? '{}');
  const summaries = done.map((d) => JSON.parse(d.stdout.trim().split('\n').at(-1) ?? '{}'));
  check(reader.code === 0, `reader exited ${reader.code}${reader.timedOut ? ' (timed out)' : ''}: ${reader.stderr}`);
  check(r.reads >= reads, `only ${r.reads} reads of ${reads} in the time allowed`);
  check(r.torn === 0, `${r.torn} torn reads: ${r.samples?.join(' | ')}`);
  check(Object.keys(r.invalid ?? {}).length === 0, `invalid reads ${JSON.stringify(r.invalid)}: ${r.samples?.join(' | ')}`);
  check(r.vanished === 0, `the snapshot vanished ${r.vanished} times after the first good read`);
  check(r.ok === r.reads - r.notFoundBeforeFirst, `good reads ${r.ok} of ${r.reads}`);
  done.forEach((d, i) => {
    check(d.code === 0, `writer ${i + 1} exited ${d.code}/${d.signal}: ${d.stderr}`);
    check(summaries[i]?.errors === 0, `writer ${i + 1}: ${summaries[i]?.errors} errors: ${d.stderr.slice(0, 500)}`);
    check(summaries[i]?.written > 0, `writer ${i + 1} wrote nothing`);
  });
  const leftovers = readdirSync(join(work, 'mbcap-snapshot')).filter((n) => n !== 'snapshot.json');
  check(leftovers.length === 0, `files left beside the snapshot: ${leftovers.join(', ')}`);
  check(r.distinct > 5, `the reader saw only ${r.distinct} distinct publishes`);

  const writes = summaries.reduce((n, s) => n + (s?.written ?? 0), 0);
  return {
    runs: r.reads,
    figures: {
      reads: r.reads,
      good: r.ok,
      torn: r.torn,
      invalid: Object.values(r.invalid ?? {}).reduce((a, b) => a + b, 0),
      writes,
      writerErrors: summaries.reduce((n, s) => n + (s?.errors ?? 0), 0),
      distinct: r.distinct,
      entries,
      seqRegressions: r.seqRegressions,
    },
    line: `${r.ok}/${r.reads} good reads (${r.library} library, ${r.raw} raw), ${r.torn} torn, ${writes} writes by 2 writers, ${r.distinct} distinct seen, ${r.seqRegressions} seq regressions seen (last rename wins)`,
  };
}
