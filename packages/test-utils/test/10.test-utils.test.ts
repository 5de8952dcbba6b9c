import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { eventually, runNode, scratch, startNode } from '../src/index.ts';

test('scratch: a fresh directory with the handoff paths in it; cleanup removes it whole', () => {
  const a = scratch('mbcap-test-utils-');
  const b = scratch('mbcap-test-utils-');
  assert.is.not(a.dir, b.dir);
  assert.ok(existsSync(a.dir));
  assert.is(dirname(a.db), a.dir);
  assert.is(dirname(a.file), a.queue);
  writeFileSync(a.db, 'x');
  a.cleanup();
  b.cleanup();
  assert.not.ok(existsSync(a.dir));
});

test('runNode: exit code, stdout, stderr and stdin of a real process', () => {
  const r = runNode(['-e', 'process.stdin.pipe(process.stdout); process.stdin.on("end", () => { console.error("err"); process.exitCode = 3; })'], {
    input: 'hello',
  });
  assert.equal(r, { code: 3, stdout: 'hello', stderr: 'err\n' });
});

test('startNode: output as it comes, then the exit', async () => {
  const p = startNode(['-e', 'console.log("one"); setTimeout(() => { console.error("two"); process.exit(4); }, 50)']);
  assert.ok(await eventually(() => p.stdout().includes('one')));
  assert.equal(await p.exited, { code: 4, signal: null });
  assert.is(p.log(), 'one\ntwo\n');
  assert.is(p.stderr(), 'two\n');
});

test('eventually: false when the condition never holds', async () => {
  const started = Date.now();
  assert.is(await eventually(() => false, 100), false);
  assert.ok(Date.now() - started >= 100);
});

test.run();
