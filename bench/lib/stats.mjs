// Small helpers the benchmarks share: medians, percentiles, timing, child processes.
import { spawn } from 'node:child_process';

export const median = (xs) => percentile(xs, 50);

export function percentile(xs, p) {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

export const round = (x, digits = 1) => Math.round(x * 10 ** digits) / 10 ** digits;

/** Runs `node ARGS…` with the peak-RSS reporter preloaded; resolves stdout, stderr, peak RSS (MB), the process's CPU ms, wall ms. */
export function runNode(args, options = {}) {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, ['--import', new URL('./peak-rss.mjs', import.meta.url).href, ...args], {
      stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
      ...options,
    });
    let stdout = '';
    let stderr = '';
    let rss = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    child.stdio[3].on('data', (c) => (rss += c));
    child.on('error', reject);
    child.on('close', (code) => {
      const kb = Number(/peak-rss-kb (\d+)/.exec(rss)?.[1] ?? NaN);
      const cpuUs = Number(/cpu-us (\d+)/.exec(rss)?.[1] ?? NaN);
      if (code !== 0) reject(new Error(`node ${args.join(' ')} exited ${code}: ${stderr}`));
      else resolve({ stdout, stderr, peakRssMb: kb / 1024, cpuMs: cpuUs / 1000, wallMs: performance.now() - started });
    });
  });
}
