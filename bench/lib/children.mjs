// The long-running processes of a benchmark: started in their own process group (a
// terminal's Ctrl-C reaches the benchmark alone, which then stops them in order), their
// JSON log lines parsed as they come, and never left behind: stopped on SIGINT, SIGTERM
// and SIGHUP, killed on any other way out. A process that exits before it is stopped
// fails every wait with its exit status and its last stderr lines.
import { spawn } from 'node:child_process';

const TAIL_LINES = 20;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * `onSignal` runs after the children are stopped when a signal ends the benchmark (to
 * remove scratch files); the process then exits 130.
 */
export function createChildren({ onSignal = () => {} } = {}) {
  const live = new Set();
  let failure = null;
  let fail;
  // Rejects once, with the first early exit; waits race against it
  const died = new Promise((_, reject) => {
    fail = reject;
  });
  died.catch(() => {});

  function start(name, script, args, { stdin = 'ignore' } = {}) {
    const child = spawn(process.execPath, [script, ...args], { stdio: [stdin, 'pipe', 'pipe'], detached: true });
    const proc = { name, child, pid: child.pid, events: [], tail: [], stdout: '', stopping: false };
    live.add(proc);
    let pending = '';
    child.stdout.on('data', (chunk) => (proc.stdout += chunk));
    child.stderr.on('data', (chunk) => {
      pending += chunk;
      for (let nl = pending.indexOf('\n'); nl !== -1; nl = pending.indexOf('\n')) {
        const line = pending.slice(0, nl);
        pending = pending.slice(nl + 1);
        proc.tail.push(line);
        if (proc.tail.length > TAIL_LINES) proc.tail.shift();
        try {
          proc.events.push(JSON.parse(line));
        } catch {
          // A stack trace or a line of text: kept in the tail only
        }
      }
    });
    // A write to the stdin of a process that died is reported by its exit, not here
    child.stdin?.on('error', () => {});
    proc.exited = new Promise((resolve) =>
      child.on('close', (code, signal) => {
        live.delete(proc);
        if (pending) proc.tail.push(pending);
        if (!proc.stopping && failure === null) {
          failure = new Error(
            `${name} (pid ${proc.pid}) exited early (${signal ? `signal ${signal}` : `exit code ${code}`}); its last stderr lines:\n${proc.tail.map((l) => `  ${l}`).join('\n') || '  (none)'}`,
          );
          fail(failure);
        }
        resolve({ code, signal });
      }),
    );
    child.on('error', (error) => {
      if (failure === null) {
        failure = new Error(`${name} could not start: ${error.message}`);
        fail(failure);
      }
    });
    return proc;
  }

  /** Stops one process: SIGTERM (or closes its stdin), SIGKILL after graceMs. */
  async function stop(proc, { graceMs = 10_000, closeStdin = false } = {}) {
    if (!live.has(proc)) return proc.exited;
    proc.stopping = true;
    if (closeStdin) proc.child.stdin.end();
    else proc.child.kill('SIGTERM');
    const timer = setTimeout(() => proc.child.kill('SIGKILL'), graceMs);
    const exit = await proc.exited;
    clearTimeout(timer);
    return exit;
  }

  const stopAll = () => Promise.all([...live].map((proc) => stop(proc)));

  /** Waits ms, or throws as soon as a process exits early. */
  const pause = (ms) => Promise.race([sleep(ms), died]);

  /** Polls `check` every `everyMs` until it gives a value; throws after `ms` or on an early exit. */
  async function until(what, check, ms, everyMs = 20) {
    const deadline = Date.now() + ms;
    for (;;) {
      if (failure) throw failure;
      const value = check();
      if (value) return value;
      if (Date.now() > deadline) throw new Error(`${what}: not within ${ms / 1000} s`);
      await pause(everyMs);
    }
  }

  // Never leave a process behind
  let signalled = false;
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(signal, async () => {
      if (signalled) return;
      signalled = true;
      process.stderr.write(`\n${signal}: stopping ${[...live].map((p) => `${p.name} (pid ${p.pid})`).join(', ') || 'nothing'}…\n`);
      await stopAll();
      onSignal();
      process.exit(130);
    });
  }
  process.on('exit', () => {
    for (const proc of live) proc.child.kill('SIGKILL');
  });

  return {
    start,
    stop,
    stopAll,
    pause,
    until,
    /** The first early exit, or null. */
    failure: () => failure,
  };
}
