// Child processes for the campaigns: the real CLIs and the fixtures, with their logs kept,
// bounded in time, and all of them killed if the suite itself stops early.
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const ingestorBin = join(repoRoot, 'apps', 'ingestor', 'bin', 'mbcap-ingestor.js');
export const serverBin = join(repoRoot, 'apps', 'server', 'bin', 'mbcap-server.js');
export const fixture = (name) => join(repoRoot, 'test', 'fixtures', 'reliability', name);

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

const live = new Set();

/** Kills every child still running (on the way out, whatever happened). */
export function killAll() {
  for (const child of live) {
    try {
      child.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
  live.clear();
}
process.on('exit', killAll);

/**
 * Starts `node SCRIPT ARGS…` (or `command ARGS…` with `options.command`). Returns the child,
 * its log (stdout and stderr interleaved), and `exited`, resolving {code, signal}.
 */
export function start(script, args = [], options = {}) {
  const command = options.command ?? process.execPath;
  const argv = options.command ? args : [...(options.nodeArgs ?? []), script, ...args];
  const child = spawn(command, argv, {
    cwd: options.cwd ?? repoRoot,
    env: { ...process.env, FORCE_COLOR: '0', NO_COLOR: '1', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  live.add(child);
  let stdout = '';
  let stderr = '';
  let log = '';
  const listeners = new Set();
  const onData = (which) => (chunk) => {
    const text = chunk.toString();
    if (which === 'out') stdout += text;
    else stderr += text;
    log += text;
    for (const listener of listeners) listener();
  };
  child.stdout.on('data', onData('out'));
  child.stderr.on('data', onData('err'));
  const exited = new Promise((resolve) => {
    child.on('close', (code, signal) => {
      live.delete(child);
      for (const listener of listeners) listener();
      resolve({ code, signal, stdout, stderr, log });
    });
    child.on('error', (error) => {
      live.delete(child);
      stderr += String(error);
      resolve({ code: null, signal: null, stdout, stderr, log: log + String(error), error });
    });
  });
  const proc = {
    child,
    pid: child.pid,
    exited,
    log: () => log,
    stdout: () => stdout,
    stderr: () => stderr,
    alive: () => child.exitCode === null && child.signalCode === null,
    /**
     * Resolves the first match of `pattern` in the log from `from` on (a character offset),
     * or null after `timeoutMs` or when the process exits without it.
     */
    waitFor(pattern, timeoutMs = 10_000, from = 0) {
      return new Promise((resolve) => {
        let timer = null;
        const check = () => {
          const m = pattern.exec(log.slice(from));
          if (m || !proc.alive()) {
            listeners.delete(check);
            clearTimeout(timer);
            resolve(m ?? null);
          }
        };
        timer = setTimeout(() => {
          listeners.delete(check);
          resolve(pattern.exec(log.slice(from)) ?? null);
        }, timeoutMs);
        listeners.add(check);
        check();
      });
    },
    kill(signal = 'SIGKILL') {
      try {
        child.kill(signal);
      } catch {
        // already gone
      }
      return exited;
    },
  };
  return proc;
}

/** Runs to completion, killed after `timeoutMs`; resolves {code, signal, stdout, stderr, log, timedOut}. */
export async function run(script, args = [], options = {}) {
  const proc = start(script, args, options);
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    proc.kill('SIGKILL');
  }, options.timeoutMs ?? 60_000);
  const result = await proc.exited;
  clearTimeout(timer);
  return { ...result, timedOut };
}

/** Polls `check` every `everyMs` until it returns a truthy value or `timeoutMs` passes. */
export async function eventually(check, timeoutMs = 10_000, everyMs = 20) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value || Date.now() >= deadline) return value;
    await sleep(everyMs);
  }
}

/** `mbcap-server run` on a free loopback port; resolves the process and its port. */
export async function startServer(db, args = []) {
  const proc = start(serverBin, ['run', '--db', db, '--host', '127.0.0.1', '--port', '0', ...args]);
  const m = await proc.waitFor(/serving http:\/\/127\.0\.0\.1:(\d+)\//, 20_000);
  if (!m) throw new Error(`the server did not start: ${proc.log()}`);
  return { proc, port: Number(m[1]) };
}
