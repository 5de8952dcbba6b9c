// The programs an operator runs, driven as child processes: nothing in the demo takes a
// shortcut around them.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const INGESTOR = fileURLToPath(new URL('../../ingestor/bin/mbcap-ingestor.js', import.meta.url));
export const SERVER = fileURLToPath(new URL('../../server/bin/mbcap-server.js', import.meta.url));

export type Finished = { code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string };

/** Runs a program to its end, `input` on its stdin. */
export function runProgram(bin: string, args: string[], input?: string): Promise<Finished> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
    child.stdin.end(input ?? '');
  });
}

export type LogLine = { time: string; level: string; event: string; msg: string; [field: string]: unknown };

/** A long-running program whose JSON log lines are handed to `onLine`. */
export function startProgram(bin: string, args: string[], onLine: (line: LogLine) => void): { child: ChildProcess; exited: Promise<Finished> } {
  // Its own process group: a Ctrl-C in the terminal reaches the demo alone, which then
  // stops the programs itself, once, with SIGTERM; they go with the demo in any case.
  const child = spawn(process.execPath, [bin, ...args, '--log-format', 'json'], { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  process.on('exit', () => child.kill('SIGTERM'));
  let stdout = '';
  let stderr = '';
  let pending = '';
  child.stdout!.on('data', (c) => (stdout += c));
  child.stderr!.on('data', (chunk: Buffer) => {
    pending += chunk.toString('utf8');
    let nl: number;
    while ((nl = pending.indexOf('\n')) >= 0) {
      const text = pending.slice(0, nl);
      pending = pending.slice(nl + 1);
      stderr += `${text}\n`;
      try {
        onLine(JSON.parse(text) as LogLine);
      } catch {
        onLine({ time: new Date().toISOString(), level: 'error', event: 'output', msg: text });
      }
    }
  });
  const exited = new Promise<Finished>((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })));
  return { child, exited };
}
