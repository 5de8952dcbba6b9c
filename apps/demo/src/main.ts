/**
 * The demo: a synthetic mesh in a fresh SQLite database, `mbcap-server run` and
 * `mbcap-ingestor run` as two child processes handing snapshots over, and fresh traffic
 * imported every few seconds so the picture changes, until Ctrl-C. With --once it stops
 * after the first snapshot is applied and checked against what the generator planted.
 */
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createParser, formatDuration, parseDuration } from '@mbcap/cli';
import type { MeshState, StatusChange } from '@mbcap/meshgen';
import { MULTIBYTE_SUP } from '@mbcap/snapshot';
import { INGESTOR, SERVER, startProgram, type Finished, type LogLine } from './binaries.js';
import { storedSups, tally, verify } from './verify.js';
import { say, table } from './view.js';
import { addTraffic, createWorld } from './world.js';

const root = fileURLToPath(new URL('../../..', import.meta.url));

const args = await createParser(
  'demo',
  'npm run demo -- [options]\n\nTwo real processes, one SQLite file: the server publishes capability snapshots, the ingestor applies them.',
)
  .option('data', {
    type: 'string',
    default: join(root, 'data'),
    describe: 'Directory of the demo database (created; a database the demo did not make is left alone)',
  })
  .option('once', { type: 'boolean', default: false, describe: 'Stop after the first snapshot is applied and verified; exit 0 when all is right' })
  .option('seed', { type: 'number', default: 1, describe: 'Seed of the synthetic mesh (the same seed, the same mesh)' })
  .option('nodes', { type: 'number', default: 120, describe: 'Nodes in the synthetic mesh' })
  .option('packets', { type: 'number', default: 3000, describe: 'Packets of the initial traffic' })
  .option('port', { type: 'number', default: 8080, describe: 'HTTP port of the server (0, or a busy port, picks a free one)' })
  .option('interval', {
    type: 'string',
    default: '60s',
    describe: "The server's --interval: its slow fallback (it publishes within about a second of a change it notices)",
  })
  .option('traffic', { type: 'string', default: '5s', describe: 'How often fresh traffic arrives (0 for none)' })
  .option('timeout', { type: 'string', default: '90s', describe: 'With --once: give up after this long' })
  .parseAsync();

const trafficMs = parseDuration(args.traffic, '--traffic');
const timeoutMs = parseDuration(args.timeout, '--timeout');

// The world
say('demo', `building a synthetic mesh (seed ${args.seed}, ${args.nodes} nodes) in ${args.data}`);
let world;
try {
  world = await createWorld(args.data, { seed: args.seed, nodes: args.nodes, packets: args.packets });
} catch (error) {
  process.stderr.write(`demo: ${(error as Error).message}\n`);
  process.exit(1);
}
const { db } = world;
let state: MeshState = world.state;
const inactive = state.nodes.filter((n) => n.inactive).length;
say(
  'import',
  `${world.generated.stored} generated packets and ${world.real.stored} real ones stored (${world.generated.bad + world.real.bad} bad); ${state.nodes.length} nodes, ${inactive} of them moved to inactive_nodes`,
);

// The two processes
const port = args.port === 0 || (await portFree(args.port)) ? args.port : 0;
let verified = false;
let stopping = false;
let exitCode = 0;

function onServer(line: LogLine) {
  if (line.event === 'listening')
    say('server', `the page at http://127.0.0.1:${line.port}/, the HTTP API at /api/nodes (also /healthz, /readyz, /api/multibyte-capability, /metrics)`);
  else if (line.event === 'published') {
    const counts = line.counts as { confirmed: number; suspected: number; unknown: number };
    say(
      'server',
      `published seq ${line.seq}: ${line.entries} nodes (${counts.confirmed} confirmed, ${counts.suspected} suspected, ${counts.unknown} unknown) in ${formatDuration(line.durationMs as number)}`,
    );
  } else if (line.level !== 'info') say('server', `${line.level}: ${line.msg}`);
}

function onIngestor(line: LogLine) {
  if (line.event === 'applied') {
    // Measured by the ingestor itself: from the snapshot's writtenAt to the commit. (The
    // server's own log line may reach the demo after this one: two pipes.)
    const delay = typeof line.lagMs === 'number' ? `, ${formatDuration(line.lagMs)} after the publish` : '';
    const rows = (line.updatedActive as number) + (line.updatedInactive as number);
    say(
      'ingestor',
      `applied seq ${line.seq} in ${formatDuration(line.durationMs as number)}${delay}: ${rows} rows updated (${line.updatedActive} nodes, ${line.updatedInactive} inactive_nodes), ${line.skipped} unknown left as they were`,
    );
    if (!verified) check(line.writtenAt as string);
    lastApplied = Date.parse(line.time as string);
    reveals(lastApplied);
  } else if (line.event === 'unchanged' || line.event === 'ready' || line.event === 'no-snapshot' || line.level === 'info') return;
  else say('ingestor', `${line.level}: ${line.msg}`);
}

// Nodes whose status the last traffic raised, waiting to be in the database
type Pending = { change: StatusChange; sup: number; importedAt: number };
let pending: Pending[] = [];
let lastApplied = 0;

/** Says, for each raised node now in the database, how long after its packet was imported the row was committed. */
function reveals(committedAt: number) {
  if (pending.length === 0) return;
  const stored = storedSups(
    db,
    pending.map((p) => p.change.publicKey),
  );
  pending = pending.filter((p) => {
    if ((stored.get(p.change.publicKey) ?? 0) < p.sup) return true;
    const { name, publicKey, from, to } = p.change;
    // Two processes log on their own: the apply may be logged before the import
    const when =
      committedAt > p.importedAt
        ? `${formatDuration(committedAt - p.importedAt)} after its packets were committed`
        : 'already when the importer logged its commit';
    say('reveal', `${name} (${publicKey.slice(0, 8)}) ${from} → ${to}: in the database ${when}`);
    return false;
  });
}

function check(writtenAt: string) {
  verified = true;
  const result = verify(db, state, writtenAt);
  if (result.mismatches.length === 0) {
    const p = result.planted;
    say(
      'verify',
      `all ${result.checked} generated nodes hold the status the generator planted (${p.confirmed} confirmed, ${p.suspected} suspected, ${p.unknown} unknown), in the right table`,
    );
    if (args.once) void stop(0);
  } else {
    say('verify', `MISMATCH in ${result.mismatches.length} nodes:\n  ${result.mismatches.slice(0, 10).join('\n  ')}`);
    if (args.once) void stop(1);
  }
}

const ingestor = startProgram(INGESTOR, ['run', '--db', db], onIngestor);
const server = startProgram(SERVER, ['run', '--db', db, '--port', String(port), '--interval', args.interval], onServer);
for (const [name, p] of [
  ['ingestor', ingestor],
  ['server', server],
] as const) {
  void p.exited.then((f: Finished) => {
    if (stopping) return;
    say(name, `exited unexpectedly (${f.code ?? f.signal}):\n${f.stderr.trim().split('\n').slice(-5).join('\n')}`);
    void stop(1);
  });
}

// Fresh traffic, so the picture changes
let trafficTimer: NodeJS.Timeout | null = null;
async function traffic() {
  try {
    const { step, summary } = await addTraffic(db, state, 40);
    const importedAt = summary.committedAt;
    state = step;
    // A stored value only rises: a change down is never written
    for (const change of step.changes) {
      const sup = MULTIBYTE_SUP[change.to];
      if (sup > MULTIBYTE_SUP[change.from]) pending.push({ change, sup, importedAt });
    }
    const changes = step.changes.map((c) => `${c.name ?? c.publicKey.slice(0, 8)} ${c.from} → ${c.to}`).join(', ');
    say('traffic', `${summary.stored} new packets imported${step.events.length ? `: ${step.events.join('; ')}` : ''}${changes ? ` (${changes})` : ''}`);
    // The apply may have come before the importer's exit
    reveals(lastApplied);
  } catch (error) {
    say('traffic', `error: ${(error as Error).message}`);
  }
  if (!stopping) trafficTimer = setTimeout(traffic, trafficMs);
}
if (!args.once && trafficMs > 0) trafficTimer = setTimeout(traffic, trafficMs);

const timeout = args.once
  ? setTimeout(() => {
      say('demo', `no verified snapshot within ${formatDuration(timeoutMs)}; stopping`);
      void stop(1);
    }, timeoutMs)
  : null;

async function stop(code: number) {
  if (stopping) return;
  stopping = true;
  exitCode = code;
  if (trafficTimer) clearTimeout(trafficTimer);
  if (timeout) clearTimeout(timeout);
  server.child.kill('SIGTERM');
  ingestor.child.kill('SIGTERM');
  const [s, i] = await Promise.all([server.exited, ingestor.exited]);
  if (s.code !== 0 || i.code !== 0) {
    say('demo', `a process did not stop cleanly (server ${s.code ?? s.signal}, ingestor ${i.code ?? i.signal})`);
    exitCode = 1;
  }
  process.stdout.write(`\nNodes by capability in ${db}:\n${table(tally(db))}\n`);
  process.exit(exitCode);
}
process.on('SIGINT', () => void stop(0));
process.on('SIGTERM', () => void stop(0));
say('demo', args.once ? 'waiting for the first snapshot to be applied' : 'running; Ctrl-C stops both processes');

function portFree(p: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(false));
    probe.listen(p, '127.0.0.1', () => probe.close(() => resolve(true)));
  });
}
