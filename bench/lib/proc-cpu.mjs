// CPU time a process has used, every thread included: utime + stime of /proc/<pid>/stat
// (for the thread group's leader the kernel sums all its threads, live and ended).
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

const ticksPerSecond = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout?.trim()) || 100;

/** Seconds of CPU (user + system) used so far by `pid`. */
export function cpuSeconds(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The name (field 2) may hold spaces and parentheses: count fields after its last ')'
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state); utime is field 14, stime field 15
  return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond;
}

/** Starts a measurement; `stop()` gives the CPU used since, as % of one core. */
export function measureCpu(pid) {
  const cpu = cpuSeconds(pid);
  const wall = performance.now();
  return {
    stop() {
      const used = cpuSeconds(pid) - cpu;
      const seconds = (performance.now() - wall) / 1000;
      return { cpuSeconds: Math.round(used * 100) / 100, wallSeconds: Math.round(seconds * 10) / 10, percent: Math.round((used / seconds) * 1000) / 10 };
    },
  };
}
