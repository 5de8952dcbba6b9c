import type { CommandModule } from 'yargs';
import { createLogger, formatDuration, onStopSignals, parseDuration, readKeyFile, surviveHangup } from '@mbcap/cli';
import { connectionCap, DEFAULT_MAX_CONNECTIONS, HTTP_TIMEOUTS, openDescriptors, PUBLISHER_RESERVE, softOpenFileLimit } from '../connections.js';
import { openServerDatabase } from '../database.js';
import { createApiServer } from '../http.js';
import { describeSkipped } from '../node-keys.js';
import { createPublisher, type PublishRecord } from '../publisher.js';
import { windowMs, withCommon, type CommonArgs } from '../options.js';
import { startPublishWorker } from '../worker-client.js';

type Args = CommonArgs & { host: string; port: number; interval: string; 'max-connections': number };

export const runCommand: CommandModule<object, Args> = {
  command: 'run',
  describe: 'Publish at start and then every interval, and serve the HTTP API',
  builder: (y) =>
    withCommon(y)
      .option('host', { type: 'string', default: '127.0.0.1', describe: 'Address to listen on' })
      .option('port', { type: 'number', default: 8080, describe: 'Port to listen on (0 picks a free one; the log says which)' })
      .option('interval', { type: 'string', default: '60s', requiresArg: true, describe: 'Time between publish cycles (e.g. 30s, 5m)' })
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
    if (!Number.isInteger(args.port) || args.port < 0 || args.port > 65535)
      throw new RangeError(`Expected --port to be a port number from 0 to 65535, got ${args.port}`);
    const requested = args['max-connections'];
    if (!Number.isInteger(requested) || requested < 1) throw new RangeError(`Expected --max-connections to be a positive whole number, got ${requested}`);
    const hmacKey = readKeyFile(args['hmac-key-file'], { use: 'sign', log });

    const source = openServerDatabase(args.db);
    // The whole publish (compute, serialise, validate, write, fsync) runs in this thread;
    // the main thread serves HTTP and receives the outcome once the file is durable
    const worker = startPublishWorker(args.db, { hmacKey });
    const publisher = createPublisher(() => worker.publish(window));
    // An unchanged cycle is said once, until the next publish: quiet logs on a quiet mesh
    let saidUnchanged = false;
    const report = (record: PublishRecord) => {
      if (record.error !== null) {
        log.error(
          'publish-failed',
          `publish failed after ${formatDuration(record.durationMs)}: ${record.error}; the previous snapshot stays in place; next try in ${formatDuration(intervalMs)}`,
          { ...record },
        );
        return;
      }
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
      const line = `published snapshot seq ${record.seq}: ${record.entries} nodes (${c.confirmed} confirmed, ${c.suspected} suspected, ${c.unknown} unknown) from ${record.packets} packets in the window, in ${formatDuration(record.durationMs)}${skipped ? `; ${skipped}` : ''}`;
      if (skipped) log.warn('published', line, { ...record });
      else log.info('published', line, { ...record });
    };

    // Publish cycles, never two at once
    let inFlight: Promise<void> | null = null;
    let timer: NodeJS.Timeout | null = null;
    let stopping = false;
    const cycle = () => {
      inFlight = publisher
        .publish()
        .then(report)
        .finally(() => {
          inFlight = null;
          if (!stopping) timer = setTimeout(cycle, intervalMs);
        });
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
      `serving http://${args.host}:${port}/ (healthz, readyz, api/nodes, api/nodes/:key, api/nodes/:key/capability, api/multibyte-capability, metrics); publishing every ${formatDuration(intervalMs)} over ${window === null ? 'all packets' : `the last ${args.window}`}`,
      { host: args.host, port },
    );
    cycle();

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
