// The programs under test run as real child processes of the test's own Node.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';

export type NodeOptions = {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Given on stdin (runNode); or 'pipe' to write it yourself (startNode). Default: none. */
  input?: string;
  stdin?: 'ignore' | 'pipe';
  /** runNode gives up after this long, in ms (default 60 s). */
  timeoutMs?: number;
};

export type Finished = { code: number | null; stdout: string; stderr: string };
export type Exit = { code: number | null; signal: NodeJS.Signals | null };

export type Started = {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  /** stdout and stderr as they came, interleaved. */
  log: () => string;
  exited: Promise<Exit>;
};

/** Runs `node ARGS…` to completion. */
export function runNode(args: string[], options: NodeOptions = {}): Finished {
  const r = spawnSync(process.execPath, args, {
    encoding: 'utf8',
    timeout: options.timeoutMs ?? 60_000,
    input: options.input,
    cwd: options.cwd,
    env: options.env && { ...process.env, ...options.env },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Starts `node ARGS…` in the background and collects what it writes. */
export function startNode(args: string[], options: NodeOptions = {}): Started {
  return startProcess(process.execPath, args, options);
}

/** Starts `COMMAND ARGS…` in the background and collects what it writes. */
export function startProcess(command: string, args: string[], options: NodeOptions = {}): Started {
  const child = spawn(command, args, {
    cwd: options.cwd,
    env: options.env && { ...process.env, ...options.env },
    stdio: [options.stdin ?? 'ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  let log = '';
  child.stdout!.on('data', (chunk) => {
    stdout += chunk;
    log += chunk;
  });
  child.stderr!.on('data', (chunk) => {
    stderr += chunk;
    log += chunk;
  });
  const exited = new Promise<Exit>((resolve) => child.on('close', (code, signal) => resolve({ code, signal })));
  return { child, stdout: () => stdout, stderr: () => stderr, log: () => log, exited };
}
