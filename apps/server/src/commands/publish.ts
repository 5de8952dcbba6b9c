import type { CommandModule } from 'yargs';
import { createLogger, formatDuration, readKeyFile } from '@mbcap/cli';
import { computeCapabilities } from '../compute.js';
import { openServerDatabase } from '../database.js';
import { createPublisher } from '../publisher.js';
import { windowMs, withCommon, type CommonArgs } from '../options.js';

type Args = CommonArgs & { json: boolean };

export const publishCommand: CommandModule<object, Args> = {
  command: 'publish',
  describe: 'One analytics cycle: compute every node\'s capability and publish the snapshot',
  builder: (y) => withCommon(y).option('json', { type: 'boolean', default: false, describe: 'Print the outcome as one JSON object on stdout' }) as never,
  handler: async (args) => {
    const log = createLogger({ format: args['log-format'] });
    const window = windowMs(args.window);
    const hmacKey = readKeyFile(args['hmac-key-file']);
    const source = openServerDatabase(args.db);
    let record;
    let packets = 0;
    try {
      const publisher = createPublisher(args.db, async () => {
        const result = computeCapabilities(source, { windowMs: window });
        packets = result.stats.packets;
        return result;
      }, { hmacKey });
      record = await publisher.publish();
    } finally {
      source.db.close();
    }
    if (record.error !== null) throw new Error(`publish failed: ${record.error}`);
    const c = record.counts!;
    log.info('published', `published snapshot seq ${record.seq}: ${record.entries} nodes (${c.confirmed} confirmed, ${c.suspected} suspected, ${c.unknown} unknown) from ${record.packets} packets in the window (${packets} read) in ${formatDuration(record.durationMs)}; ${record.path}`, { ...record });
    if (args.json) {
      console.log(JSON.stringify({ seq: record.seq, entries: record.entries, confirmed: c.confirmed, suspected: c.suspected, unknown: c.unknown, packets: record.packets, durationMs: record.durationMs, path: record.path }));
    }
  },
};
