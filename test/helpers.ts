import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const testDir = dirname(fileURLToPath(import.meta.url));
export const repoRoot = join(testDir, '..');
export const fixture = (name: string) => join(testDir, 'fixtures', name);

export function scratch(prefix = 'mbcap-e2e-'): { dir: string; db: string; queue: string; file: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return {
    dir,
    db: join(dir, 'mesh.db'),
    queue: join(dir, 'mbcap-snapshot'),
    file: join(dir, 'mbcap-snapshot', 'snapshot.json'),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export type Run = { code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string };

/** Starts `node SCRIPT ARGS…`; `done` resolves with its exit and output. */
export function start(script: string, args: string[], options: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): { child: ChildProcess; done: Promise<Run> } {
  const child = spawn(process.execPath, [script, ...args], {
    cwd: options.cwd ?? repoRoot,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk) => (stdout += chunk));
  child.stderr!.on('data', (chunk) => (stderr += chunk));
  const done = new Promise<Run>((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })));
  return { child, done };
}

export async function run(script: string, args: string[], options: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): Promise<Run> {
  return start(script, args, options).done;
}
