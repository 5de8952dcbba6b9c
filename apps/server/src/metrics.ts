// GET /metrics: Prometheus text exposition.
import type { PublishState } from './publisher.js';

export function renderMetrics(state: PublishState, http: Map<string, number>): string {
  const lines: string[] = [];
  const metric = (name: string, type: string, help: string, samples: [string, number][]) => {
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    for (const [labels, value] of samples) lines.push(`${name}${labels} ${value}`);
  };
  const ok = state.lastSuccess;
  metric('mbcap_publish_total', 'counter', 'Snapshots published.', [['', state.publishes]]);
  metric('mbcap_publish_failures_total', 'counter', 'Publish cycles that failed.', [['', state.failures]]);
  metric('mbcap_publish_duration_seconds', 'gauge', 'Duration of the last publish cycle (compute and write).', [['', (state.last?.durationMs ?? 0) / 1000]]);
  metric('mbcap_publish_last_success_timestamp_seconds', 'gauge', 'When the last successful publish started.', [['', ok ? Date.parse(ok.at) / 1000 : 0]]);
  metric('mbcap_publish_last_seq', 'gauge', 'Sequence number of the last snapshot published.', [['', ok?.seq ?? 0]]);
  metric('mbcap_entries', 'gauge', 'Nodes by capability status in the last snapshot.', [
    ['{status="confirmed"}', ok?.counts?.confirmed ?? 0],
    ['{status="suspected"}', ok?.counts?.suspected ?? 0],
    ['{status="unknown"}', ok?.counts?.unknown ?? 0],
  ]);
  metric(
    'mbcap_http_requests_total',
    'counter',
    'HTTP requests served, by route and status code.',
    [...http.entries()].map(([key, value]) => {
      const [route, code] = key.split(' ');
      return [`{route="${route}",code="${code}"}`, value] as [string, number];
    }),
  );
  return `${lines.join('\n')}\n`;
}
