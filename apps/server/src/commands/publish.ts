import type { CommandModule } from 'yargs';
import { createLogger, formatDuration, readKeyFile } from '@mbcap/cli';
import { openServerDatabase } from '../database.js';
import { describeSkipped } from '../node-keys.js';
import { publishCycle } from '../publish-cycle.js';
import { windowMs, withCommon, type CommonArgs } from '../options.js';

type Args = CommonArgs & { json: boolean };

export const publishCommand: CommandModule<object, Args> = {
  command: 'publish',
  describe: "One analytics cycle: compute every node's capability and publish the snapshot",
  builder: (y) => withCommon(y).option('json', { type: 'boolean', default: false, describe: 'Print the outcome as one JSON object on stdout' }) as never,
  handler: async (args) => {
    const log = createLogger({ format: args['log-format'] });
    const window = windowMs(args.window);
    const hmacKey = readKeyFile(args['hmac-key-file'], { use: 'sign', log });
    const source = openServerDatabase(args.db);
    let record;
    try {
      ({ record } = await publishCycle(source, args.db, { windowMs: window, hmacKey }));
    } finally {
      source.db.close();
    }
    if (record.error !== null) throw new Error(`publish failed: ${record.error}`);
    const c = record.counts!;
    const skipped = describeSkipped(record.skippedRows!);
    const line = `published snapshot seq ${record.seq}: ${record.entries} nodes (${c.confirmed} confirmed, ${c.suspected} suspected, ${c.unknown} unknown) from ${record.packets} advert or multi-byte packets in the window (${record.packetsRead} read) in ${formatDuration(record.durationMs)}; ${record.path}${skipped ? `; ${skipped}` : ''}`;
    if (skipped) log.warn('published', line, { ...record });
    else log.info('published', line, { ...record });
    if (args.json) {
      console.log(
        JSON.stringify({
          seq: record.seq,
          entries: record.entries,
          confirmed: c.confirmed,
          suspected: c.suspected,
          unknown: c.unknown,
          packets: record.packets,
          durationMs: record.durationMs,
          path: record.path,
          skippedRows: record.skippedRows,
        }),
      );
    }
  },
};
