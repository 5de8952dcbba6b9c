import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { repoRoot, run } from './helpers.js';

// The crash-state explorer, reduced (test/reliability/campaigns/crash-states.mjs with
// --quick): every state a power cut may leave of a publish applied by `run` and a reset, a
// few combinations per point, and the planted faults. Apart from the other quick campaigns
// so each has its own time. Without strace it is skipped, and says so.

const seed = process.env.RELIABILITY_SEED ?? String(Math.floor(Math.random() * 1_000_000));

test(`reliability (quick, seed ${seed}): crash-states`, async () => {
  const r = await run(join(repoRoot, 'test', 'reliability', 'run.mjs'), ['--quick', '--json', '--seed', seed, '--only', 'crash-states']);
  const line = r.stdout.split('\n').find((l) => l.startsWith('RESULTS '));
  assert.ok(line, `no result; the suite exited ${r.code}:\n${r.stderr.slice(-3000)}`);
  const [result] = (
    JSON.parse(line.slice('RESULTS '.length)) as { results: { ok: boolean; skipped: boolean; title: string; line: string; failures: string[] }[] }
  ).results;
  assert.ok(result, `no result for crash-states:\n${r.stderr.slice(-3000)}`);
  const replay = `node test/reliability/run.mjs --quick --seed ${seed} --only crash-states`;
  assert.ok(result.ok, `${result.title} failed (replay: ${replay}):\n  - ${result.failures.join('\n  - ')}`);
  console.log(`  ${result.title}: ${result.skipped ? 'SKIPPED: ' : ''}${result.line}`);
});

test.run();
