// GET /metrics: Prometheus text exposition.
import { logStats } from '@mbcap/cli';
import type { PublishState } from './publisher.js';

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

export function renderMetrics(state: PublishState, http: HttpStats): string {
  const lines: string[] = [];
  const metric = (name: string, type: string, help: string, samples: [string, number][]) => {
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    for (const [labels, value] of samples) lines.push(`${name}${labels} ${value}`);
  };
  const ok = state.lastSuccess;
  metric('mbcap_publish_total', 'counter', 'Snapshots published.', [['', state.publishes]]);
  metric('mbcap_cycles_unchanged_total', 'counter', 'Cycles that wrote nothing: the snapshot on disk already held their entries.', [['', state.unchanged]]);
  metric('mbcap_publish_failures_total', 'counter', 'Publish cycles that failed.', [['', state.failures]]);
  metric('mbcap_publish_duration_seconds', 'gauge', 'Duration of the last publish cycle (compute and write).', [['', (state.last?.durationMs ?? 0) / 1000]]);
  metric('mbcap_publish_last_success_timestamp_seconds', 'gauge', 'When the last successful publish started.', [['', ok ? Date.parse(ok.at) / 1000 : 0]]);
  metric('mbcap_publish_last_seq', 'gauge', 'Sequence number of the last snapshot published.', [['', ok?.seq ?? 0]]);
  metric('mbcap_entries', 'gauge', 'Nodes by capability status in the last snapshot.', [
    ['{status="confirmed"}', ok?.counts?.confirmed ?? 0],
    ['{status="suspected"}', ok?.counts?.suspected ?? 0],
    ['{status="unknown"}', ok?.counts?.unknown ?? 0],
  ]);
  metric('mbcap_rows_skipped', 'gauge', 'Node rows the last snapshot left out, by table: their public_key cannot name an entry.', [
    ['{table="nodes"}', ok?.skippedRows?.byTable.nodes ?? 0],
    ['{table="inactive_nodes"}', ok?.skippedRows?.byTable.inactive_nodes ?? 0],
  ]);
  metric('mbcap_log_lines_lost_total', 'counter', 'Log lines that could not be written to stderr (EPIPE, ENOSPC).', [['', logStats().lost]]);
  metric(
    'mbcap_http_requests_total',
    'counter',
    'HTTP requests served, by route and status code.',
    [...http.requests.entries()].map(([key, value]) => {
      const [route, code] = key.split(' ');
      return [`{route="${route}",code="${code}"}`, value] as [string, number];
    }),
  );
  metric('mbcap_http_connections_max', 'gauge', 'Connections served at once; more are refused.', [['', http.maxConnections]]);
  metric('mbcap_http_connections_refused_total', 'counter', 'Connections closed at accept because the cap was reached.', [['', http.refused]]);
  metric('mbcap_http_malformed_requests_total', 'counter', 'Requests refused as malformed or too slow to arrive.', [['', http.malformed]]);
  return `${lines.join('\n')}\n`;
}
