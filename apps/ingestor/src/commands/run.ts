import type { CommandModule } from 'yargs';
import { createLogger, formatDuration, onStopSignals, parseDuration, surviveHangup, type Logger } from '@mbcap/cli';
import type { ConsumerEvent } from '@mbcap/handoff';
import { createSnapshotConsumer, type RefusalCode } from '@mbcap/snapshot';
import type { Database } from 'better-sqlite3';
import { describeMalformed, describeOutcome, levelOf } from '../describe.js';
import { readOptions, withRead, type ReadArgs } from '../options.js';
import { recordRefusal, refusalOf, type Refusal } from '../refusals.js';
import { openForWrite } from '../session.js';
import { hasTable } from '@mbcap/dbschema';
import { lastApplied } from '../ledger.js';
import { clockBehindMs } from '../apply-rule.js';
import { applyRead, type TickOutcome } from '../tick.js';

type Args = ReadArgs & { cron: string; watch: boolean; poll: string };

class SchemaMissing extends Error {}

function logOutcome(log: Logger, outcome: TickOutcome, dbPath: string) {
  const line = describeOutcome(outcome, dbPath);
  log[levelOf(outcome)](outcome.status, line, { ...outcome });
}

/** Says at start when this host's clock reads earlier than the last applied snapshot was written. */
function warnIfClockBehind(db: Database, log: Logger) {
  const last = hasTable(db, 'mbcap_ledger') ? lastApplied(db) : null;
  const behind = clockBehindMs(last, Date.now());
  if (last === null || behind < 1000) return;
  log.warn(
    'clock-behind',
    `this host's clock (${new Date().toISOString()}) is ${formatDuration(behind)} behind the last applied snapshot's writtenAt (${last.written_at}${last.seq === null ? '' : `, seq ${last.seq}`}): the clock stepped back (NTP correction, fake-hwclock, no RTC). Snapshots with a higher seq are still applied; fix the clock (NTP, an RTC) so the ledger's and the API's times are right`,
    { behindMs: behind, lastWrittenAt: last.written_at, lastSeq: last.seq },
  );
}

export const runCommand: CommandModule<object, Args> = {
  command: 'run',
  describe: 'Apply each new snapshot as it is published (watch), and on a maintenance tick (cron)',
  builder: (y) =>
    withRead(y)
      .option('cron', { type: 'string', default: '*/5 * * * *', describe: 'Maintenance tick, a cron expression (5 fields, or 6 with seconds first)' })
      .option('watch', { type: 'boolean', default: true, describe: 'Watch the snapshot directory; --no-watch relies on the tick and the poll alone' })
      .option('poll', { type: 'string', default: '2s', describe: 'Also look at the file this often, as a safety net (0 for never)' }) as never,
  handler: async (args) => {
    const log = createLogger({ format: args['log-format'] });
    const options = readOptions(args, log);
    const pollMs = parseDuration(args.poll, '--poll');
    const db: Database = openForWrite(args.db, log, { migrate: args.migrate, synchronous: args.synchronous });
    warnIfClockBehind(db, log);
    let lastSchemaProblem = '';
    const record = (refusal: Refusal | null) => {
      const unrecorded = refusal && recordRefusal(db, args.db, refusal);
      if (unrecorded) log.warn('refusal-unrecorded', `refused ${refusal.code}, not counted: ${unrecorded}`);
    };

    const consumer = createSnapshotConsumer(args.db, {
      cron: args.cron,
      watch: args.watch,
      pollMs,
      read: { hmacKey: options.hmacKey, maxBytes: options.maxBytes },
      handler: (result) => {
        const outcome = applyRead(db, result, { maxFutureMs: options.maxFutureMs, maxApplyMs: options.maxApplyMs });
        if (outcome.status === 'schema-missing') {
          // Logged once per distinct problem; retried with backoff until someone migrates.
          const line = describeOutcome(outcome, args.db);
          if (line !== lastSchemaProblem) logOutcome(log, outcome, args.db);
          lastSchemaProblem = line;
          throw new SchemaMissing(line);
        }
        lastSchemaProblem = '';
        logOutcome(log, outcome, args.db);
        record(refusalOf(outcome));
      },
      onEvent: (event: ConsumerEvent) => {
        switch (event.type) {
          case 'ready':
            log.info(
              'ready',
              `watching ${event.path}${event.watching ? '' : ' (watch off)'}; tick ${event.cron ?? 'off'}; poll ${event.pollMs ? formatDuration(event.pollMs) : 'off'}`,
              { path: event.path, cron: event.cron, pollMs: event.pollMs, watching: event.watching },
            );
            break;
          case 'absent':
            log.info('no-snapshot', `no snapshot at ${event.path} yet; waiting for the first publish`, { path: event.path });
            break;
          case 'rejected': {
            log.warn(
              'malformed',
              describeMalformed({ code: event.error.code, reason: event.error.message, copy: event.copy, copyNote: event.note ?? undefined }),
              { code: event.error.code, copy: event.copy, copyNote: event.note },
            );
            record({ code: event.error.code as RefusalCode, seq: null, reason: event.error.message });
            break;
          }
          case 'failed':
            if (!(event.error instanceof SchemaMissing)) {
              log.error(
                'apply-failed',
                `could not ${event.stage === 'read' ? 'read' : 'apply'} the snapshot: ${(event.error as Error)?.message ?? event.error}; retrying in ${formatDuration(event.retryInMs)}`,
                { stage: event.stage },
              );
            }
            break;
          case 'watch-error':
            log.warn('watch-error', `watching failed (${(event.error as Error)?.message}); the poll and the tick still run`);
            break;
          case 'rewatched':
            log.warn('rewatched', `the snapshot directory was removed and made again; watching ${event.path} anew`);
            break;
          case 'handled':
            break;
        }
      },
    });

    // Stop: finish the apply in flight (it is one synchronous transaction), close, exit 0
    onStopSignals(log, 'SQLite rolls back anything uncommitted', async (signal) => {
      log.info('stop', `${signal}: stopping after the apply in flight`);
      await consumer.stop();
      db.close();
      log.info('stopped', 'stopped; database closed');
      process.exit(0);
    });
    surviveHangup(log, 'systemctl restart mbcap-ingestor');

    await consumer.start();
    await new Promise(() => {});
  },
};
