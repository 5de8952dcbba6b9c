#!/usr/bin/env node
// Every benchmark, ours against its baseline measured in the same run, as one table.
//
//   npm run bench [-- --quick | --full]
//
// --quick: small sizes, the freshness run about a minute of it (CI runs it as a smoke check;
// it asserts nothing).
// default: 10k and 200k entries; --full adds 1M. Writes bench/results.json.
import { spawn } from 'node:child_process';
import { cpus, totalmem } from 'node:os';
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: { quick: { type: 'boolean', default: false }, full: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h', default: false } },
});
if (values.help) {
  console.log(
    'usage: npm run bench -- [--quick | --full]\n\n  --quick  small sizes (the freshness run takes about a minute)\n  --full   adds the 1M-entry and 1M-packet runs, and 10 minutes of traffic without change\nWrites bench/results.json.',
  );
  process.exit(0);
}
if (values.quick && values.full) {
  console.error('bench: --quick and --full exclude each other');
  process.exit(2);
}
const mode = values.quick ? 'quick' : values.full ? 'full' : 'default';

function bench(script, args) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [new URL(script, import.meta.url).pathname, ...args, '--json'], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (c) => (out += c));
    child.on('close', (code) =>
      code === 0 ? resolve(JSON.parse(out.trim().split('\n').at(-1))) : reject(new Error(`${script} ${args.join(' ')} exited ${code}`)),
    );
  });
}

const plan = {
  quick: {
    apply: [[10_000, 1]],
    publish: [[10_000, 3]],
    compute: [[2_000, 20_000, 1]],
    steady: [[2_000, 20_000, 3, 100]],
    explain: [[2_000, 20_000, 1, 100]],
    reaction: [1_000, 10, 5],
    flood: [10_000],
    durability: [[10_000, 2_000, 1]],
    freshness: [2_000, 20_000, 10, 10, 20],
  },
  default: {
    apply: [
      [10_000, 3],
      [200_000, 5],
    ],
    publish: [
      [10_000, 5],
      [200_000, 9],
    ],
    compute: [[20_000, 200_000, 3]],
    steady: [[20_000, 200_000, 9, 1000]],
    explain: [[20_000, 200_000, 3, 500]],
    reaction: [10_000, 100, 50],
    flood: [120_000],
    durability: [[200_000, 20_000, 3]],
    freshness: [20_000, 200_000, 50, 30, 60],
  },
  full: {
    apply: [
      [10_000, 3],
      [200_000, 5],
      [1_000_000, 1],
    ],
    publish: [
      [10_000, 5],
      [200_000, 9],
      [1_000_000, 3],
    ],
    compute: [
      [20_000, 200_000, 3],
      [20_000, 1_000_000, 3],
    ],
    steady: [[20_000, 1_000_000, 9, 1000]],
    explain: [[20_000, 1_000_000, 3, 500]],
    reaction: [10_000, 100, 50],
    flood: [120_000, 1_000_000],
    durability: [[200_000, 20_000, 3]],
    freshness: [20_000, 1_000_000, 50, 30, 600],
  },
}[mode];

const rows = [];
const round2 = (x) => Math.round(x * 1000) / 1000;
const row = (what, size, ours, baseline, ratio, target, ok) => rows.push({ what, size, ours, baseline, ratio, target, ok });
const started = Date.now();
const results = { mode, machine: { cpus: cpus().length, cpu: cpus()[0]?.model, memoryGb: Math.round(totalmem() / 2 ** 30), node: process.version }, runs: [] };

for (const [entries, runs] of plan.apply) {
  console.error(`bench: apply, ${entries} entries…`);
  const r = await bench('./apply.mjs', ['--entries', String(entries), '--runs', String(runs)]);
  results.runs.push(r);
  const at200k = entries === 200_000;
  row(
    'apply, all rows change',
    entries,
    `${r.allChange.oursMs} ms`,
    `${r.allChange.baselineMs} ms (parse + bare UPDATE loop)`,
    r.allChange.ratio,
    at200k ? '≤ 1.0' : '',
    at200k ? r.allChange.ratio <= 1 : null,
  );
  row('apply, 1 % of rows change', entries, `${r.fewChange.oursMs} ms`, `${r.fewChange.baselineMs} ms (bare loop updates all)`, r.fewChange.ratio, '', null);
  row(
    'apply, nothing changed',
    entries,
    `${r.unchanged.oursMs} ms`,
    `${r.unchanged.fullApplyMs} ms (the full apply)`,
    `${r.unchanged.percent} %`,
    at200k ? '≤ 2 %' : '',
    at200k ? r.unchanged.percent <= 2 : null,
  );
  row(
    'memory: apply peak RSS',
    entries,
    `${r.memory.peakRssMb} MB`,
    `${r.memory.fileMb} MB (snapshot file)`,
    `${r.memory.ratio}×`,
    entries === 1_000_000 ? '≤ 3×' : '',
    entries === 1_000_000 ? r.memory.ratio <= 3 : null,
  );
}
for (const [entries, packets, runs] of plan.durability) {
  console.error(`bench: durable commits (synchronous full against normal), ${entries} entries, ${packets} packets…`);
  const r = await bench('./durability.mjs', ['--entries', String(entries), '--packets', String(packets), '--runs', String(runs)]);
  results.runs.push(r);
  row(
    'apply, all rows change, durable commit',
    entries,
    `${r.applyAll.fullMs} ms`,
    `${r.applyAll.normalMs} ms (synchronous=normal)`,
    r.applyAll.ratio,
    '',
    null,
  );
  row(
    'apply, 1 % of rows change, durable commit',
    entries,
    `${r.applyFew.fullMs} ms`,
    `${r.applyFew.normalMs} ms (synchronous=normal)`,
    r.applyFew.ratio,
    '',
    null,
  );
  row(
    'import, batches of 1000, durable commits',
    `${packets} packets`,
    `${r.import.fullMs} ms`,
    `${r.import.normalMs} ms (synchronous=normal)`,
    r.import.ratio,
    '',
    null,
  );
  row('one small commit, durable', '100 commits', `${r.commit.fullMs} ms`, `${r.commit.normalMs} ms (synchronous=normal)`, r.commit.ratio, '', null);
}
for (const [entries, runs] of plan.publish) {
  console.error(`bench: publish, ${entries} entries…`);
  const r = await bench('./publish.mjs', ['--entries', String(entries), '--runs', String(runs)]);
  results.runs.push(r);
  const at200k = entries === 200_000;
  row(
    'publish (writeSnapshot, durable)',
    entries,
    `${r.oursMs} ms`,
    `${r.baselineMs} ms (stringify + write + fsync + rename + dir fsync)`,
    r.ratio,
    at200k ? '≤ 1.3' : '',
    at200k ? r.ratio <= 1.3 : null,
  );
}
for (const [nodes, packets, runs] of plan.compute) {
  console.error(`bench: compute, ${packets} packets, ${nodes} nodes…`);
  const r = await bench('./compute.mjs', ['--nodes', String(nodes), '--packets', String(packets), '--runs', String(runs)]);
  results.runs.push(r);
  const at1m = packets === 1_000_000;
  row(
    'compute (mbcap-server publish)',
    `${packets} packets, ${nodes} nodes`,
    `${r.oursMs} ms, ${r.peakRssMb} MB peak`,
    `${r.baselineMs} ms (bare .raw().iterate(), every row)`,
    r.ratio,
    at1m ? '≤ 1.3, ≤ 300 MB' : '',
    at1m ? r.ratio <= 1.3 && r.peakRssMb <= 300 : null,
  );
}
for (const [nodes, packets, runs, batch] of plan.steady) {
  console.error(`bench: steady cycle, ${batch} new packets on ${packets}, ${nodes} nodes…`);
  const r = await bench('./steady.mjs', ['--nodes', String(nodes), '--packets', String(packets), '--runs', String(runs), '--batch', String(batch)]);
  results.runs.push(r);
  const at1m = packets === 1_000_000;
  row(
    `run's steady cycle, ${batch} new packets`,
    `${packets} packets, ${nodes} nodes`,
    `${r.steadyMs} ms (p90 ${r.steadyP90Ms})`,
    `${r.coldCycleMs} ms (its cold cycle, a full pass)`,
    `${Math.round(r.ratio * 1000) / 10} %`,
    at1m ? '≤ 50 ms, ≤ 3 %' : '',
    at1m ? r.steadyMs <= 50 && r.ratio <= 0.03 : null,
  );
}
for (const [nodes, packets, runs, asks] of plan.explain) {
  console.error(`bench: explain, ${packets} packets, ${nodes} nodes…`);
  const r = await bench('./explain.mjs', ['--nodes', String(nodes), '--packets', String(packets), '--runs', String(runs), '--asks', String(asks)]);
  results.runs.push(r);
  const at1m = packets === 1_000_000;
  row(
    'cycle keeping explanations (run)',
    `${packets} packets, ${nodes} nodes`,
    `${r.cycleKeepingMs} ms, ${r.keptMb} MB kept`,
    `${r.cycleMs} ms (the cycle without)`,
    r.keepingRatio,
    '',
    null,
  );
  row(
    'explain under run (from the cycle)',
    `${packets} packets, ${nodes} nodes`,
    `p50 ${r.answerP50Ms} ms, p99 ${r.answerP99Ms} ms`,
    `${r.scanMs} ms (one scan, as explain)`,
    round2(r.answerP99Ms / r.scanMs),
    at1m ? 'p99 ≤ 100 ms' : '',
    at1m ? r.answerP99Ms <= 100 : null,
  );
}
{
  const [entries, publishes, bursts] = plan.reaction;
  console.error(`bench: reaction, ${entries} entries…`);
  const r = await bench('./reaction.mjs', ['--entries', String(entries), '--publishes', String(publishes), '--bursts', String(bursts)]);
  results.runs.push({ what: 'reaction', ...r });
  row(
    'reaction: file replaced → rows committed',
    `${entries}, ${publishes} publishes`,
    `p50 ${r.p50} ms, p99 ${r.p99} ms`,
    '–',
    '',
    'p50 ≤ 50, p99 ≤ 250 ms',
    r.p50 <= 50 && r.p99 <= 250,
  );
  row(
    'burst: 5 publishes 5 ms apart',
    `${bursts} bursts`,
    `${r.burstsApplied}/${r.bursts} last applied, ≤ ${r.burstMaxDelay} ms after`,
    '–',
    '',
    `${bursts}/${bursts}, ≤ 500 ms`,
    r.burstsApplied === r.bursts && r.burstMaxDelay <= 500,
  );
}
{
  // Real server, ingestor and importer under 50 packets/s; targets at 1M packets
  const [nodes, packets, trials, cpuSeconds, quietSeconds] = plan.freshness;
  console.error(`bench: freshness, ${packets} packets, ${nodes} nodes, ${trials} trials, ${cpuSeconds} s CPU, ${quietSeconds} s without change…`);
  const r = await bench('./freshness.mjs', [
    '--nodes',
    String(nodes),
    '--packets',
    String(packets),
    '--trials',
    String(trials),
    '--cpu-seconds',
    String(cpuSeconds),
    '--quiet-seconds',
    String(quietSeconds),
  ]);
  results.runs.push({ what: 'freshness', ...r });
  const at1m = packets === 1_000_000;
  const size = `${packets} packets, ${nodes} nodes`;
  row(
    'freshness: new node advert → multibyte_sup = 2',
    `${size}, ${r.freshness.applied}/${trials} trials`,
    `p50 ${r.freshness.p50Ms} ms, p99 ${r.freshness.p99Ms} ms, max ${r.freshness.maxMs} ms`,
    '–',
    '',
    at1m ? 'p50 ≤ 300, p99 ≤ 1000 ms' : '',
    at1m ? r.freshness.met : null,
  );
  row(
    'CPU at 50 packets/s (% of one core)',
    `${size}, ${r.cpu.server.wallSeconds} s`,
    `server ${r.cpu.server.percent} %, ingestor ${r.cpu.ingestor.percent} % (importer ${r.cpu.importer.percent} %)`,
    '–',
    '',
    at1m ? 'server < 10, ingestor < 5 %' : '',
    at1m ? r.cpu.met : null,
  );
  row(
    'traffic that changes no status',
    `${size}, ${r.quiet.seconds} s`,
    `${r.quiet.published} published, ${r.quiet.applied} applied`,
    '–',
    '',
    '0 and 0',
    r.quiet.met,
  );
}
for (const entries of plan.flood) {
  console.error(`bench: hash flood, ${entries} keys…`);
  const r = (await bench('./hash-flood.mjs', ['--entries', String(entries)])).results[0];
  results.runs.push({ what: 'hash-flood', ...r });
  const ours = r.collidingMs === null ? `> ${r.stoppedAfterMs / 1000} s (stopped)` : `${r.collidingMs} ms`;
  row('apply, keys chosen to collide (old hash)', entries, ours, `${r.randomMs} ms (random keys)`, r.ratio ?? '–', '', null);
}

// The table
const header = ['what', 'size', 'ours', 'baseline (same run)', 'ratio', 'target', ''];
const cells = rows.map((r) => [r.what, String(r.size), r.ours, r.baseline, String(r.ratio), r.target, r.ok === null ? '' : r.ok ? 'met' : 'MISSED']);
const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
const line = (c) => `| ${c.map((x, i) => x.padEnd(widths[i])).join(' | ')} |`;
console.log(line(header));
console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
for (const c of cells) console.log(line(c));
console.log(
  `\n${mode} run, ${results.machine.cpus} × ${results.machine.cpu}, ${results.machine.memoryGb} GiB, Node ${results.machine.node}, ${Math.round((Date.now() - started) / 1000)} s`,
);
results.rows = rows;
results.finishedAt = new Date().toISOString();
writeFileSync(new URL('./results.json', import.meta.url), `${JSON.stringify(results, null, 2)}\n`);
console.log('results: bench/results.json');
