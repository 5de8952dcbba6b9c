// GET /healthz (liveness) and GET /readyz (readiness), told apart so that a load balancer
// does not drop a working API because one publish failed:
//  - /healthz answers 200 whenever the HTTP loop runs; its body says how things are
//    (status ok, starting or failing, the last publish, the writer's side of the handoff).
//  - /readyz answers 200 when the API has data and a publish succeeded lately: a cycle has
//    succeeded, the schema holds what the server reads, and the last success ended within
//    READY_CYCLES cycles (interval plus its duration each); 503 otherwise, saying why.
import { parseDuration } from '@mbcap/cli';
import { checkSchema } from '@mbcap/dbschema';
import type { ServerDatabase } from './database.js';
import { readHandoffHealth } from './handoff-health.js';
import type { PublishState } from './publisher.js';

export type HealthContext = {
  source: ServerDatabase;
  state: PublishState;
  window: string;
  interval: string;
  maxConnections: number;
};

export type HttpCounts = { refused: number; malformed: number };

/** Cycles without a success before the server says it is not ready. */
export const READY_CYCLES = 3;

export type Readiness = { ready: boolean; reason: string | null };

export function readiness(ctx: HealthContext, schemaOk: boolean, now = Date.now()): Readiness {
  const ok = ctx.state.lastSuccess;
  if (!schemaOk) return { ready: false, reason: 'the database lacks what the server reads (see schema.missing)' };
  if (ok === null) return { ready: false, reason: ctx.state.last === null ? 'the first publish cycle has not finished' : 'no publish cycle has succeeded yet' };
  const ended = Date.parse(ok.at) + ok.durationMs;
  const allowed = READY_CYCLES * (parseDuration(ctx.interval) + ok.durationMs);
  if (now - ended > allowed)
    return {
      ready: false,
      reason: `no publish has succeeded for ${Math.round((now - ended) / 1000)} s (${READY_CYCLES} cycles); the last error: ${ctx.state.last?.error ?? 'none'}`,
    };
  return { ready: true, reason: null };
}

export function healthBody(ctx: HealthContext, http: HttpCounts) {
  const schema = checkSchema(ctx.source.db, 'server');
  const last = ctx.state.last;
  const failing = !schema.ok || (last !== null && last.error !== null);
  const skipped = ctx.state.lastSuccess?.skippedRows;
  const { ready, reason } = readiness(ctx, schema.ok);
  return {
    status: failing ? 'failing' : last === null ? 'starting' : 'ok',
    ready,
    notReadyReason: reason,
    readOnly: ctx.source.db.readonly,
    schema,
    window: ctx.window,
    interval: ctx.interval,
    lastPublish: last,
    lastSuccess: ctx.state.lastSuccess,
    publishes: ctx.state.publishes,
    unchangedCycles: ctx.state.unchanged,
    deferredCycles: ctx.state.deferred,
    fullPasses: ctx.state.fullPasses,
    lastFullPass: ctx.state.lastFullPass,
    failures: ctx.state.failures,
    // Node rows the last publish left out: their key cannot name a snapshot entry
    skippedRows: {
      count: skipped?.count ?? 0,
      byTable: skipped?.byTable ?? { nodes: 0, inactive_nodes: 0 },
      reason: skipped?.reason ?? null,
      samples: skipped?.samples ?? [],
    },
    // The ingestor's side: what it applied, how long a publish has waited, what it refused
    handoff: readHandoffHealth(ctx.source.db, ctx.state),
    http: { maxConnections: ctx.maxConnections, refusedConnections: http.refused, malformedRequests: http.malformed },
  };
}

/** Liveness: 200 while the process answers, whatever the publishes do. */
export function liveness(ctx: HealthContext, http: HttpCounts) {
  return { code: 200, body: healthBody(ctx, http) };
}

/** Readiness: 200 when ready to serve, else 503 with the reason. */
export function readinessAnswer(ctx: HealthContext, http: HttpCounts) {
  const body = healthBody(ctx, http);
  return { code: body.ready ? 200 : 503, body, ...(body.ready ? {} : { retryAfter: 5 }) };
}
