import type { CommandModule } from 'yargs';
import { createLogger, formatDuration, parseDuration, readKeyFile } from '@mbcap/cli';
import { openServerDatabase } from '../database.js';
import { createApiServer } from '../http.js';
import { createPublisher, type PublishRecord } from '../publisher.js';
import { windowMs, withCommon, type CommonArgs } from '../options.js';
import { startComputeWorker } from '../worker-client.js';

type Args = CommonArgs & { host: string; port: number; interval: string };

export const runCommand: CommandModule<object, Args> = {
  command: 'run',
  describe: 'Publish at start and then every interval, and serve the HTTP API',
  builder: (y) =>
    withCommon(y)
      .option('host', { type: 'string', default: '127.0.0.1', describe: 'Address to listen on' })
      .option('port', { type: 'number', default: 8080, describe: 'Port to listen on (0 picks a free one; the log says which)' })
      .option('interval', { type: 'string', default: '60s', describe: 'Time between publish cycles (e.g. 30s, 5m)' }) as never,
  handler: async (args) => {
    // Interpret options before touching anything
    const log = createLogger({ format: args['log-format'] });
    const window = windowMs(args.window);
    const intervalMs = parseDuration(args.interval, '--interval');
    if (intervalMs < 1000) throw new RangeError(`Expected --interval to be at least 1s, got ${JSON.stringify(args.interval)}`);
    if (!Number.isInteger(args.port) || args.port < 0 || args.port > 65535) throw new RangeError(`Expected --port to be a port number from 0 to 65535, got ${args.port}`);
    const hmacKey = readKeyFile(args['hmac-key-file']);

    const source = openServerDatabase(args.db);
    const worker = startComputeWorker(args.db);
    const publisher = createPublisher(args.db, () => worker.compute(window), { hmacKey });
    const report = (record: PublishRecord) => {
      if (record.error !== null) {
        log.error('publish-failed', `publish failed after ${formatDuration(record.durationMs)}: ${record.error}; the previous snapshot stays in place; next try in ${formatDuration(intervalMs)}`, { ...record });
        return;
      }
      const c = record.counts!;
      log.info('published', `published snapshot seq ${record.seq}: ${record.entries} nodes (${c.confirmed} confirmed, ${c.suspected} suspected, ${c.unknown} unknown) from ${record.packets} packets in the window, in ${formatDuration(record.durationMs)}`, { ...record });
    };

    // Publish cycles, never two at once
    let inFlight: Promise<void> | null = null;
    let timer: NodeJS.Timeout | null = null;
    let stopping = false;
    const cycle = () => {
      inFlight = publisher.publish().then(report).finally(() => {
        inFlight = null;
        if (!stopping) timer = setTimeout(cycle, intervalMs);
      });
    };

    const server = createApiServer({ source, state: publisher.state, window: args.window, interval: args.interval });
    await new Promise<void>((resolve, reject) => {
      server.once('error', (error: NodeJS.ErrnoException) => reject(new Error(`cannot listen on ${args.host}:${args.port}: ${error.code === 'EADDRINUSE' ? 'the port is in use' : error.message}`)));
      server.listen(args.port, args.host, () => resolve());
    });
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : args.port;
    log.info('listening', `serving http://${args.host}:${port}/ (healthz, api/nodes, api/multibyte-capability, metrics); publishing every ${formatDuration(intervalMs)} over ${window === null ? 'all packets' : `the last ${args.window}`}`, { host: args.host, port });
    cycle();

    // Stop: no new connections, finish the cycle in flight, exit 0
    const stop = async (signal: string) => {
      if (stopping) return;
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
    };
    process.on('SIGINT', () => void stop('SIGINT'));
    process.on('SIGTERM', () => void stop('SIGTERM'));
  },
};
