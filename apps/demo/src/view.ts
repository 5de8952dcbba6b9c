// What the demo prints: one line per thing that happened, with the time since start.
import type { Tally } from './verify.js';

const started = Date.now();

export function say(who: string, text: string): void {
  const s = (Date.now() - started) / 1000;
  const clock = `${String(Math.floor(s / 60)).padStart(2, '0')}:${(s % 60).toFixed(1).padStart(4, '0')}`;
  process.stdout.write(`[${clock}] ${who.padEnd(8)} ${text}\n`);
}

export function table(t: Tally): string {
  const line = (name: string, c: Record<string, number>) =>
    `  ${name.padEnd(15)} ${String(c.confirmed).padStart(9)} ${String(c.suspected).padStart(9)} ${String(c.unknown).padStart(9)} ${String(c.confirmed! + c.suspected! + c.unknown!).padStart(7)}`;
  const sum = {
    confirmed: t.nodes.confirmed + t.inactive_nodes.confirmed,
    suspected: t.nodes.suspected + t.inactive_nodes.suspected,
    unknown: t.nodes.unknown + t.inactive_nodes.unknown,
  };
  return [
    `  ${'table'.padEnd(15)} ${'confirmed'.padStart(9)} ${'suspected'.padStart(9)} ${'unknown'.padStart(9)} ${'total'.padStart(7)}`,
    line('nodes', t.nodes),
    line('inactive_nodes', t.inactive_nodes),
    line('both', sum),
  ].join('\n');
}
