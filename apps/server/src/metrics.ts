// GET /metrics: Prometheus text exposition through prom-client, one registry per server.
// Every value is read when scraped (collect), from the publish state, the HTTP counters and
// the database (read-only: the ingestor's ledger and refusals). The names that existed
// before prom-client are kept, as dashboards use them; process_* and nodejs_* are
// prom-client's default metrics.
import { readFileSync } from 'node:fs';
import { logStats } from '@mbcap/cli';
import { Counter, collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import { readHandoffHealth } from './handoff-health.js';
import { readiness, type HealthContext } from './health.js';
import { checkSchema } from '@mbcap/dbschema';

/** What the HTTP server counts for /metrics and /healthz. */
export type HttpStats = {
  /** Requests answered, by "route code". */
  requests: Map<string, number>;
  /** Connections closed at accept: the cap was reached. */
  refused: number;
  /** Requests refused as malformed (unparseable HTTP, a bad target, too slow to arrive). */
  malformed: number;
  maxConnections: number;
};

const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };

export type Metrics = { contentType: string; render(): Promise<string> };

export function createMetrics(ctx: HealthContext, http: HttpStats): Metrics {
  const registers = [new Registry()];
  const [registry] = registers as [Registry];
  const { state } = ctx;
  const ok = () => state.lastSuccess;
  // A counter whose total lives elsewhere: set at each scrape
  const total = (name: string, help: string, value: () => number) =>
    new Counter({
      name,
      help,
      registers,
      collect() {
        this.reset();
        this.inc(value());
      },
    });
  const gauge = (name: string, help: string, value: () => number) =>
    new Gauge({
      name,
      help,
      registers,
      collect() {
        this.set(value());
      },
    });

  // Publishing
  total('mbcap_publish_total', 'Snapshots published.', () => state.publishes);
  total('mbcap_cycles_unchanged_total', 'Cycles that wrote nothing: the snapshot on disk already held their entries.', () => state.unchanged);
  total('mbcap_cycles_deferred_total', 'Cycles whose changed entries waited for --min-interval after the last snapshot written.', () => state.deferred);
  total(
    'mbcap_full_passes_total',
    'Cycles that read every transmission (the first, --resync, and what the incremental reader cannot follow).',
    () => state.fullPasses,
  );
  total('mbcap_publish_failures_total', 'Publish cycles that failed.', () => state.failures);
  gauge('mbcap_publish_duration_seconds', 'Duration of the last publish cycle (compute and write).', () => (state.last?.durationMs ?? 0) / 1000);
  gauge('mbcap_publish_last_success_timestamp_seconds', 'When the last successful publish started.', () => {
    const last = ok();
    return last ? Date.parse(last.at) / 1000 : 0;
  });
  gauge('mbcap_publish_last_seq', 'Sequence number of the last snapshot published.', () => ok()?.seq ?? 0);
  new Gauge({
    name: 'mbcap_entries',
    help: 'Nodes by capability status in the last snapshot.',
    labelNames: ['status'],
    registers,
    collect() {
      const counts = ok()?.counts;
      for (const status of ['confirmed', 'suspected', 'unknown'] as const) this.set({ status }, counts?.[status] ?? 0);
    },
  });
  new Gauge({
    name: 'mbcap_rows_skipped',
    help: 'Node rows the last snapshot left out, by table: their public_key cannot name an entry.',
    labelNames: ['table'],
    registers,
    collect() {
      const byTable = ok()?.skippedRows?.byTable;
      this.set({ table: 'nodes' }, byTable?.nodes ?? 0);
      this.set({ table: 'inactive_nodes' }, byTable?.inactive_nodes ?? 0);
    },
  });
  gauge('mbcap_ready', 'Whether /readyz answers 200: the API has data and a publish succeeded lately.', () =>
    readiness(ctx, checkSchema(ctx.source.db, 'server').ok).ready ? 1 : 0,
  );

  // The ingestor's side, read from its ledger and refusals at each scrape
  let handoff: ReturnType<typeof readHandoffHealth> | null = null;
  const handoffNow = () => {
    handoff ??= readHandoffHealth(ctx.source.db, state);
    return handoff;
  };
  gauge(
    'mbcap_handoff_lag_seconds',
    'How long the oldest published snapshot the ingestor has not applied has waited; 0 when it applied the last one.',
    () => handoffNow().lagSeconds,
  );
  gauge(
    'mbcap_handoff_last_applied_seq',
    'Sequence number of the last snapshot the ingestor applied (its ledger); 0 when none.',
    () => handoffNow().lastAppliedSeq,
  );
  gauge('mbcap_handoff_last_applied_timestamp_seconds', 'When the ingestor applied its last snapshot; 0 when never.', () => {
    const at = handoffNow().lastApplied?.appliedAt;
    return at ? Date.parse(at) / 1000 : 0;
  });
  new Counter({
    name: 'mbcap_handoff_refusals_total',
    help: 'Snapshot files the ingestor refused, by code (its table mbcap_refusals); none without that table.',
    labelNames: ['code'],
    registers,
    collect() {
      this.reset();
      for (const [code, n] of Object.entries(handoffNow().refusals ?? {})) this.inc({ code }, n);
    },
  });

  // Logging and HTTP
  total('mbcap_log_lines_lost_total', 'Log lines that could not be written to stderr (EPIPE, ENOSPC).', () => logStats().lost);
  new Counter({
    name: 'mbcap_http_requests_total',
    help: 'HTTP requests served, by route and status code.',
    labelNames: ['route', 'code'],
    registers,
    collect() {
      this.reset();
      for (const [key, value] of http.requests) {
        const [route, code] = key.split(' ') as [string, string];
        this.inc({ route, code }, value);
      }
    },
  });
  gauge('mbcap_http_connections_max', 'Connections served at once; more are refused.', () => http.maxConnections);
  total('mbcap_http_connections_refused_total', 'Connections closed at accept because the cap was reached.', () => http.refused);
  total('mbcap_http_malformed_requests_total', 'Requests refused as malformed or too slow to arrive.', () => http.malformed);

  // The build, and the process (prom-client's defaults)
  new Gauge({ name: 'mbcap_build_info', help: 'Always 1: the version of mbcap-server and of Node.', labelNames: ['version', 'node'], registers }).set(
    { version, node: process.version },
    1,
  );
  collectDefaultMetrics({ register: registry });

  return {
    contentType: registry.contentType,
    async render() {
      handoff = null;
      return registry.metrics();
    },
  };
}
