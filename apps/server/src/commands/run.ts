import type { CommandModule } from 'yargs';
import { createLogger, formatDuration, onStopSignals, parseDuration, readKeyFile, surviveHangup } from '@mbcap/cli';
import { connectionCap, DEFAULT_MAX_CONNECTIONS, HTTP_TIMEOUTS, openDescriptors, PUBLISHER_RESERVE, softOpenFileLimit } from '../connections.js';
import { fileIdOf, openServerDatabase } from '../database.js';
import { createApiServer } from '../http.js';
import { describeSkipped } from '../node-keys.js';
import { createPublisher, type PublishRecord } from '../publisher.js';
import { windowMs, withCommon, type CommonArgs } from '../options.js';
import { startPublishWorker } from '../worker-client.js';

type Args = CommonArgs & { host: string; port: number; interval: string; 'min-interval': string; resync: string; 'max-connections': number };

/** How often the database is asked whether a change was committed (PRAGMA data_version: a few microseconds). */
export const CHANGE_POLL_MS = 100;

export const runCommand: CommandModule<object, Args> = {
  command: 'run',
  describe: 'Publish at start and whenever a status changes, and serve the HTTP API',
  builder: (y) =>
    withCommon(y)
      .option('host', { type: 'string', default: '127.0.0.1', describe: 'Address to listen on' })
      .option('port', { type: 'number', default: 8080, describe: 'Port to listen on (0 picks a free one; the log says which)' })
      .option('interval', {
        type: 'string',
        default: '60s',
        requiresArg: true,
        describe:
          'The slow fallback: a cycle at least this often even when no change was noticed (evidence ageing out of the window, a snapshot deleted); it also re-reads every node row (names, roles, last seen)',
      })
      .option('min-interval', {
        type: 'string',
        default: '1s',
        requiresArg: true,
        describe: `Least time between two snapshots written. A committed change is noticed within ${CHANGE_POLL_MS} ms and its new rows are read at once (the cost follows the new rows); a changed status is published at once unless the last snapshot is younger than this, so a busy importer cannot cause a storm`,
      })
      .option('resync', {
        type: 'string',
        default: '1h',
        requiresArg: true,
        describe:
          'A full pass over every transmission at least this often, as a safety net (logged with its reason); full passes also follow rows deleted, the highest id going back, the file replaced or restored, a schema change and the clock going back',
      })
      .option('max-connections', {
        type: 'number',
        default: DEFAULT_MAX_CONNECTIONS,
        describe: `HTTP connections served at once; more are closed at accept. Lowered at start when the open-file limit (ulimit -n) would leave fewer than ${PUBLISHER_RESERVE} descriptors for publishing. Idle keep-alive connections close after ${HTTP_TIMEOUTS.keepAlive / 1000} s, silent ones after ${HTTP_TIMEOUTS.idle / 1000} s; headers must arrive within ${HTTP_TIMEOUTS.headers / 1000} s, a request within ${HTTP_TIMEOUTS.request / 1000} s`,
      }) as never,
  handler: async (args) => {
    // Interpret options before touching anything
    const log = createLogger({ format: args['log-format'] });
    const window = windowMs(args.window);
    const intervalMs = parseDuration(args.interval, '--interval');
    if (intervalMs < 1000) throw new RangeError(`Expected --interval to be at least 1s, got ${JSON.stringify(args.interval)}`);
    const minIntervalMs = parseDuration(args['min-interval'], '--min-interval');
    if (minIntervalMs < 0) throw new RangeError(`Expected --min-interval to be a duration of 0s or more, got ${JSON.stringify(args['min-interval'])}`);
    const resyncMs = parseDuration(args.resync, '--resync');
    if (resyncMs < 1000) throw new RangeError(`Expected --resync to be at least 1s, got ${JSON.stringify(args.resync)}`);
    if (!Number.isInteger(args.port) || args.port < 0 || args.port > 65535)
      throw new RangeError(`Expected --port to be a port number from 0 to 65535, got ${args.port}`);
    const requested = args['max-connections'];
    if (!Number.isInteger(requested) || requested < 1) throw new RangeError(`Expected --max-connections to be a positive whole number, got ${requested}`);
    const hmacKey = readKeyFile(args['hmac-key-file'], { use: 'sign', log });

    const source = openServerDatabase(args.db);
    // The whole publish (compute, serialise, validate, write, fsync) runs in this thread;
    // the main thread serves HTTP and receives the outcome once the file is durable
    const worker = startPublishWorker(args.db, { hmacKey, windowMs: window, minIntervalMs, resyncMs });
    let refreshNodes = true;
    const publisher = createPublisher(() => worker.publish({ refreshNodes }));
    // An unchanged cycle is said once, until the next publish: quiet logs on a quiet mesh
    let saidUnchanged = false;
    const report = (record: PublishRecord) => {
      if (record.fullPass !== null && record.error === null)
        log.info(
          'full-pass',
          `read every transmission: ${record.fullPass}; ${record.packets} count for something in the window (${formatDuration(record.durationMs)})`,
          {
            reason: record.fullPass,
            durationMs: record.durationMs,
          },
        );
      if (record.error !== null) {
        log.error(
          'publish-failed',
          `publish failed after ${formatDuration(record.durationMs)}: ${record.error}; the previous snapshot stays in place; next try on the next change noticed, or in ${formatDuration(intervalMs)}`,
          { ...record },
        );
        return;
      }
      if (record.deferredMs !== null) return;
      if (record.unchanged) {
        if (!saidUnchanged)
          log.info(
            'unchanged',
            `nothing changed since snapshot seq ${record.seq}: it stays, and nothing is published until a status or evidence changes; such cycles are counted in /metrics (mbcap_cycles_unchanged_total), not logged`,
            { ...record },
          );
        saidUnchanged = true;
        return;
      }
      saidUnchanged = false;
      const c = record.counts!;
      const skipped = describeSkipped(record.skippedRows!);
      const line = `published snapshot seq ${record.seq}: ${record.entries} nodes (${c.confirmed} confirmed, ${c.suspected} suspected, ${c.unknown} unknown) from ${record.packets} advert or multi-byte packets in the window, in ${formatDuration(record.durationMs)}${skipped ? `; ${skipped}` : ''}`;
      if (skipped) log.warn('published', line, { ...record });
      else log.info('published', line, { ...record });
    };

    // Cycles, never two at once: when a change was committed (data_version), when a changed
    // result waits for --min-interval, and at least every --interval. Timed on the monotonic
    // clock: the wall clock stepping back must not hold a cycle back.
    let inFlight: Promise<void> | null = null;
    let timer: NodeJS.Timeout | null = null;
    let stopping = false;
    const dataVersion = () => source.db.pragma('data_version', { simple: true }) as number;
    let version = dataVersion();
    let fileId = fileIdOf(args.db);
    let fallbackAt = 0;
    let waitUntil: number | null = null;
    const cycle = () => {
      const now = performance.now();
      refreshNodes = now >= fallbackAt;
      fallbackAt = now + intervalMs;
      waitUntil = null;
      inFlight = publisher
        .publish()
        .then((record) => {
          if (record.deferredMs !== null) waitUntil = performance.now() + record.deferredMs;
          report(record);
        })
        .finally(() => {
          inFlight = null;
        });
    };
    const poll = () => {
      if (stopping) return;
      timer = setTimeout(poll, CHANGE_POLL_MS);
      if (inFlight) return;
      let changed = false;
      try {
        // The file replaced (a restore, a copy renamed over it): the API reads the new one
        const id = fileIdOf(args.db);
        if (id !== fileId) {
          const next = openServerDatabase(args.db);
          source.db.close();
          Object.assign(source, next);
          fileId = id;
          changed = true;
        }
        const v = dataVersion();
        changed ||= v !== version;
        version = v;
      } catch {
        // Unreadable right now: the fallback cycle will say why, once an interval
      }
      const now = performance.now();
      if (changed || now >= fallbackAt || (waitUntil !== null && now >= waitUntil)) cycle();
    };

    // Descriptors counted with the database open; the publish thread's own come out of the reserve
    const cap = connectionCap(requested, softOpenFileLimit(), openDescriptors());
    if (cap.lowered)
      log.warn(
        'connection-cap',
        `--max-connections ${cap.requested} lowered to ${cap.max}: the open-file limit is ${cap.fileLimit} and ${PUBLISHER_RESERVE} descriptors stay free for publishing; raise the limit (ulimit -n, LimitNOFILE=) to serve more`,
        { ...cap },
      );
    const server = createApiServer({ source, state: publisher.state, window: args.window, interval: args.interval, maxConnections: cap.max, log });
    log.info(
      'connection-cap',
      `accepting at most ${cap.max} connections at once (open-file limit ${cap.fileLimit ?? 'unknown'}, ${PUBLISHER_RESERVE} descriptors kept for publishing); idle connections close after ${HTTP_TIMEOUTS.keepAlive / 1000} s, silent ones after ${HTTP_TIMEOUTS.idle / 1000} s`,
      { maxConnections: cap.max, fileLimit: cap.fileLimit },
    );
    await new Promise<void>((resolve, reject) => {
      server.once('error', (error: NodeJS.ErrnoException) =>
        reject(new Error(`cannot listen on ${args.host}:${args.port}: ${error.code === 'EADDRINUSE' ? 'the port is in use' : error.message}`)),
      );
      server.listen(args.port, args.host, () => resolve());
    });
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : args.port;
    log.info(
      'listening',
      `serving http://${args.host}:${port}/ (the operator's page; healthz, readyz, api/nodes, api/nodes/:key, api/nodes/:key/capability, api/multibyte-capability, api/adoption, metrics); publishing when a status changes over ${window === null ? 'all packets' : `the last ${args.window}`} (changes noticed within ${CHANGE_POLL_MS} ms, snapshots at least ${formatDuration(minIntervalMs)} apart, a cycle at least every ${formatDuration(intervalMs)}, a full pass at least every ${formatDuration(resyncMs)})`,
      { host: args.host, port },
    );
    poll();

    // Stop: no new connections, finish the cycle in flight, exit 0
    onStopSignals(log, 'the publish in flight is left unfinished (the snapshot on disk stays whole)', async (signal) => {
      stopping = true;
      log.info('stop', `${signal}: stopping after the publish in flight`);
      if (timer) clearTimeout(timer);
      server.close();
      server.closeAllConnections();
      while (inFlight) await inFlight;
      await worker.close();
      source.db.close();
      log.info('stopped', 'stopped');
      process.exit(0);
    });
    surviveHangup(log, 'systemctl restart mbcap-server');
  },
};
