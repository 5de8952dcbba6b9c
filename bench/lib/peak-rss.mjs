// Preloaded with `node --import ./bench/lib/peak-rss.mjs …`: at exit, the process's peak
// resident set size and CPU time (user + system) go to fd 3 when it is open, else to
// stderr, as `peak-rss-kb N cpu-us N`.
import { writeSync } from 'node:fs';

process.on('exit', () => {
  const usage = process.resourceUsage();
  const line = `peak-rss-kb ${usage.maxRSS} cpu-us ${usage.userCPUTime + usage.systemCPUTime}\n`;
  try {
    writeSync(3, line);
  } catch {
    process.stderr.write(line);
  }
});
