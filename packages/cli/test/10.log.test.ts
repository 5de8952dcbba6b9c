import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';

// Log lines go to stderr with a synchronous write whose failure is caught. A pipe whose
// reader stops reading fills up: lines are dropped after a short wait (EAGAIN), counted,
// and owned up to once the reader catches up; the program is never held up for long.

const cli = new URL('../dist/index.js', import.meta.url).href;

const FLOOD = `
  const { createLogger, logStats } = await import(${JSON.stringify(cli)});
  const log = createLogger({ format: 'json' });
  const started = Date.now();
  for (let i = 0; i < 400; i++) log.info('flood', 'line ' + i + ' ' + 'x'.repeat(1000));
  process.stdout.write(JSON.stringify({ lost: logStats().lost, ms: Date.now() - started }) + '\\n');
  await new Promise((r) => setTimeout(r, 1500));
  log.info('final', 'the last line');
`;

test('a stuck stderr reader costs dropped, counted lines, not a stuck program; the log then says how many', async () => {
  const child = spawn(process.execPath, ['--input-type=module', '-e', FLOOD], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  child.stdout!.on('data', (chunk) => (stdout += chunk));
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));

  // Nobody reads stderr until the flood is over
  for (let i = 0; i < 500 && !stdout.includes('\n'); i++) await new Promise((r) => setTimeout(r, 20));
  const flood = JSON.parse(stdout) as { lost: number; ms: number };
  assert.ok(flood.lost > 100, `${flood.lost} lines counted lost`);
  assert.ok(flood.ms < 2000, `the flood took ${flood.ms} ms`);

  let stderr = '';
  child.stderr!.on('data', (chunk) => (stderr += chunk));
  assert.is(await exited, 0);

  // Whole JSON lines, except at most one cut short by the full pipe; then the notice and the last line
  const lines = stderr.split('\n').filter(Boolean);
  const parsed = lines.flatMap((line) => {
    try {
      return [JSON.parse(line) as Record<string, unknown>];
    } catch {
      return [];
    }
  });
  assert.ok(lines.length - parsed.length <= 1, `${lines.length - parsed.length} broken lines`);
  const [notice, last] = parsed.slice(-2);
  assert.is(notice?.event, 'log-lost');
  assert.is(notice?.level, 'warn');
  assert.is(notice?.reason, 'EAGAIN');
  assert.is(notice?.lost, flood.lost);
  assert.match(String(notice?.msg), new RegExp(`^${flood.lost} log lines could not be written \\(EAGAIN\\); the log has a gap before this line$`));
  assert.is(last?.event, 'final');
  assert.is(parsed.length - 2 + flood.lost, 400, 'every flood line is either in the log or counted lost');
});

test.run();
