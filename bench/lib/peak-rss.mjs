// Preloaded with `node --import ./bench/lib/peak-rss.mjs …`: at exit, the process's peak
// resident set size goes to fd 3 when it is open, else to stderr, as `peak-rss-kb N`.
import { writeSync } from 'node:fs';

process.on('exit', () => {
  const line = `peak-rss-kb ${process.resourceUsage().maxRSS}\n`;
  try {
    writeSync(3, line);
  } catch {
    process.stderr.write(line);
  }
});
