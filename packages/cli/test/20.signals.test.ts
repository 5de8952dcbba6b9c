// Both programs stop the same way: the first SIGINT or SIGTERM asks for a clean stop, a
// second one while it runs exits 130 at once, saying what is given up.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startNode } from '@mbcap/test-utils';

const cli = new URL('../dist/index.js', import.meta.url).href;

/** A program whose clean stop takes `stopMs`; it says `ready` on stdout once its handlers are on. */
const PROGRAM = (stopMs: number, remove: boolean) => `
  const { createLogger, onStopSignals } = await import(${JSON.stringify(cli)});
  const log = createLogger({ format: 'text' });
  const off = onStopSignals(log, 'the work in flight is lost', async (signal) => {
    log.info('stop', signal + ': stopping');
    await new Promise((r) => setTimeout(r, ${stopMs}));
    log.info('stopped', 'stopped');
    process.exit(0);
  });
  ${remove ? 'off();' : ''}
  process.stdout.write('ready\\n');
  setInterval(() => {}, 1000);
`;

function start(stopMs: number, remove = false) {
  const p = startNode(['--input-type=module', '-e', PROGRAM(stopMs, remove)]);
  const ready = async () => {
    for (let i = 0; i < 500 && !p.stdout().includes('ready'); i++) await new Promise((r) => setTimeout(r, 20));
    assert.ok(p.stdout().includes('ready'), `the program started: ${p.stderr()}`);
  };
  return { child: p.child, exited: p.exited, ready, stderr: p.stderr };
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  test(`${signal}: the clean stop runs to its end, exit 0`, async () => {
    const p = start(200);
    await p.ready();
    p.child.kill(signal);
    assert.equal(await p.exited, { code: 0, signal: null });
    assert.match(p.stderr(), new RegExp(`${signal}: stopping[\\s\\S]*stopped`));
  });
}

test('a second signal during the clean stop: exit 130 at once, and a warn line saying what is given up', async () => {
  const p = start(10_000);
  await p.ready();
  p.child.kill('SIGTERM');
  for (let i = 0; i < 250 && !p.stderr().includes('stopping'); i++) await new Promise((r) => setTimeout(r, 20));
  const started = Date.now();
  p.child.kill('SIGINT');
  assert.equal(await p.exited, { code: 130, signal: null });
  assert.ok(Date.now() - started < 5000, 'it did not wait for the clean stop');
  assert.match(p.stderr(), /warn.*SIGINT again: exiting now; the work in flight is lost/);
  assert.not.match(p.stderr(), /stopped/);
});

test('once removed, the handlers are gone: the signal ends the process as by default', async () => {
  const p = start(0, true);
  await p.ready();
  p.child.kill('SIGTERM');
  assert.equal(await p.exited, { code: null, signal: 'SIGTERM' });
});

test.run();
