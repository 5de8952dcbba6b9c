import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { writeSnapshot } from '@mbcap/snapshot';
import { capabilities, eventually, ingestor, scratch, seedDb, sleep, startRun } from './helpers.js';

const FAR_AWAY = '0 0 1 1 *'; // once a year: the tick plays no part

async function ready(run: ReturnType<typeof startRun>) {
  assert.ok(await eventually(() => /info {2}watching /.test(run.log()), 10_000), `run did not start:\n${run.log()}`);
}

async function stop(run: ReturnType<typeof startRun>) {
  run.child.kill('SIGTERM');
  const code = await run.exited;
  assert.is(code, 0, run.log());
  assert.match(run.log(), /SIGTERM: stopping after the apply in flight[\s\S]*stopped; database closed/);
}

test('run applies a publish by watching alone, within moments, and stops cleanly on SIGTERM', async () => {
  const s = scratch();
  seedDb(s.db, [{ key: 'aa11' }, { key: 'bb22', inactive: true }]);
  const run = startRun('--db', s.db, '--cron', FAR_AWAY, '--poll', '0');
  try {
    await ready(run);
    assert.ok(await eventually(() => /no snapshot at .* yet; waiting for the first publish/.test(run.log()), 3000), run.log());
    await writeSnapshot(s.db, {
      entries: [
        { public_key: 'aa11', status: 'confirmed', evidence: 'advert' },
        { public_key: 'bb22', status: 'suspected', evidence: 'path' },
      ],
    });
    assert.ok(await eventually(() => capabilities(s.db).bb22?.[0] === 1, 3000), `not applied:\n${run.log()}`);
    assert.equal(capabilities(s.db), { aa11: [2, 'advert', 'nodes'], bb22: [1, 'path', 'inactive_nodes'] });
    // The log line follows the commit
    assert.ok(await eventually(() => /applied snapshot seq 1 \(2 entries\): 2 rows updated \(1 nodes, 1 inactive_nodes\)/.test(run.log()), 3000), run.log());
    await stop(run);
  } finally {
    run.child.kill('SIGKILL');
    s.cleanup();
  }
});

test('the last publish of a burst from another process is applied', async () => {
  const s = scratch();
  seedDb(s.db, [{ key: 'aa11' }]);
  const run = startRun('--db', s.db, '--cron', FAR_AWAY, '--poll', '0');
  try {
    await ready(run);
    const publisher = `
      const { writeSnapshot } = await import('@mbcap/snapshot');
      for (let i = 0; i < 5; i++) {
        await writeSnapshot(${JSON.stringify(s.db)}, { entries: [{ public_key: 'aa11', status: i % 2 ? 'suspected' : 'confirmed', evidence: i === 4 ? 'advert' : 'path' }] });
        await new Promise((r) => setTimeout(r, 5));
      }`;
    const { spawnSync } = await import('node:child_process');
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', publisher], { cwd: new URL('..', import.meta.url), encoding: 'utf8' });
    assert.is(r.status, 0, r.stderr);
    assert.ok(await eventually(() => capabilities(s.db).aa11?.[1] === 'advert', 3000), `last publish not applied:\n${run.log()}`);
    assert.equal(capabilities(s.db).aa11, [2, 'advert', 'nodes']);
    await sleep(300);
    assert.equal(capabilities(s.db).aa11, [2, 'advert', 'nodes'], 'nothing older applied after it');
  } finally {
    run.child.kill('SIGKILL');
    s.cleanup();
  }
});

test('a malformed file is logged once, not on every tick, and the next good publish is applied', async () => {
  const s = scratch();
  seedDb(s.db, [{ key: 'aa11' }]);
  const run = startRun('--db', s.db, '--cron', '* * * * * *', '--poll', '100ms');
  try {
    await ready(run);
    mkdirSync(s.queue, { recursive: true });
    writeFileSync(join(s.queue, 'incoming'), '{"writtenAt": "2026-11-21T23:00:00Z", "entries": [');
    renameSync(join(s.queue, 'incoming'), s.file);
    await sleep(2500);
    const warnings = run.log().match(/snapshot refused/g) ?? [];
    assert.is(warnings.length, 1, run.log());
    assert.match(
      run.log(),
      /warn {2}snapshot refused: malformed \(MALFORMED: .*\); kept a copy at .*rejected\/.*; database untouched; waiting for the next publish/,
    );
    await writeSnapshot(s.db, { entries: [{ public_key: 'aa11', status: 'confirmed', evidence: 'advert' }] });
    assert.ok(await eventually(() => capabilities(s.db).aa11?.[0] === 2, 3000), run.log());
  } finally {
    run.child.kill('SIGKILL');
    s.cleanup();
  }
});

test('after a restart, the snapshot published while it was down is applied at start', async () => {
  const s = scratch();
  seedDb(s.db, [{ key: 'aa11' }]);
  let run = startRun('--db', s.db, '--cron', FAR_AWAY);
  try {
    await ready(run);
    await stop(run);
    await writeSnapshot(s.db, { entries: [{ public_key: 'aa11', status: 'suspected', evidence: 'path' }] });
    run = startRun('--db', s.db, '--cron', FAR_AWAY);
    await ready(run);
    assert.ok(await eventually(() => capabilities(s.db).aa11?.[0] === 1, 3000), run.log());
    await stop(run);
    // And once more: already applied, nothing to do
    run = startRun('--db', s.db, '--cron', FAR_AWAY);
    await ready(run);
    assert.ok(await eventually(() => /snapshot seq 1 unchanged: already applied/.test(run.log()), 3000), run.log());
  } finally {
    run.child.kill('SIGKILL');
    s.cleanup();
  }
});

test('a legacy schema under --no-migrate is logged once, and applied once someone migrates', async () => {
  const s = scratch();
  const legacy = new Database(s.db);
  legacy.exec("CREATE TABLE nodes (public_key TEXT PRIMARY KEY, name TEXT); INSERT INTO nodes VALUES ('aa11', 'A');");
  legacy.close();
  await writeSnapshot(s.db, { entries: [{ public_key: 'aa11', status: 'confirmed', evidence: 'advert' }] });
  const run = startRun('--db', s.db, '--no-migrate', '--cron', FAR_AWAY);
  try {
    await ready(run);
    assert.ok(await eventually(() => /skipped: the database lacks .*nodes\.multibyte_sup/.test(run.log()), 3000), run.log());
    await sleep(1500);
    assert.is((run.log().match(/skipped: the database lacks/g) ?? []).length, 1, 'logged once');
    assert.is(ingestor('migrate', '--db', s.db).code, 0);
    assert.ok(await eventually(() => capabilities(s.db).aa11?.[0] === 2, 8000), run.log());
  } finally {
    run.child.kill('SIGKILL');
    s.cleanup();
  }
});

test('--log-format json writes one JSON object a line', async () => {
  const s = scratch();
  seedDb(s.db, [{ key: 'aa11' }]);
  await writeSnapshot(s.db, { entries: [{ public_key: 'aa11', status: 'confirmed', evidence: 'advert' }] });
  const run = startRun('--db', s.db, '--cron', FAR_AWAY, '--log-format', 'json');
  try {
    assert.ok(await eventually(() => run.log().includes('"event":"applied"'), 5000), run.log());
    const lines = run
      .log()
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const applied = lines.find((l) => l.event === 'applied');
    assert.is(applied.level, 'info');
    assert.is(applied.updatedActive, 1);
    assert.match(applied.msg, /applied snapshot seq 1/);
    assert.ok(lines.every((l) => typeof l.time === 'string' && typeof l.msg === 'string'));
  } finally {
    run.child.kill('SIGKILL');
    s.cleanup();
  }
});

test.run();
