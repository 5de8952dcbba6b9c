import type { ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { scratch as scratchDir, startNode, type Scratch } from '@mbcap/test-utils';

export { sleep } from '@mbcap/test-utils';

export const testDir = dirname(fileURLToPath(import.meta.url));
export const repoRoot = join(testDir, '..');
export const fixture = (name: string) => join(testDir, 'fixtures', name);

export const scratch = (prefix = 'mbcap-e2e-'): Scratch => scratchDir(prefix);

export type Run = { code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string };

/** Starts `node SCRIPT ARGS…`; `done` resolves with its exit and output. */
export function start(script: string, args: string[], options: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): { child: ChildProcess; done: Promise<Run> } {
  const started = startNode([script, ...args], { cwd: options.cwd ?? repoRoot, env: options.env ?? {} });
  return { child: started.child, done: started.exited.then(({ code, signal }) => ({ code, signal, stdout: started.stdout(), stderr: started.stderr() })) };
}

export async function run(script: string, args: string[], options: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): Promise<Run> {
  return start(script, args, options).done;
}
