import type { CommandModule } from 'yargs';
import { createLogger } from '@mbcap/cli';
import { describeOutcome, levelOf } from '../describe.js';
import { readOptions, withRead, type ReadArgs } from '../options.js';
import { recordRefusal, refusalOf } from '../refusals.js';
import { openForWrite } from '../session.js';
import { tick, type TickOutcome } from '../tick.js';

type Args = ReadArgs & { json: boolean; force: boolean };

export const applyCommand: CommandModule<object, Args> = {
  command: 'apply',
  describe: 'One maintenance tick: read the current snapshot and apply it (exit 0 for every outcome)',
  builder: (y) =>
    withRead(y)
      .option('json', { type: 'boolean', default: false, describe: 'Print the outcome as one JSON object on stdout' })
      .option('force', { type: 'boolean', default: false, describe: 'Apply the current snapshot even if the ledger says it is applied or stale' }) as never,
  handler: async (args) => {
    const log = createLogger({ format: args['log-format'] });
    const options = readOptions(args, log);
    const db = openForWrite(args.db, log, { migrate: args.migrate, synchronous: args.synchronous });
    let outcome: TickOutcome;
    try {
      outcome = await tick(db, args.db, { ...options, force: args.force });
      const refusal = refusalOf(outcome);
      const unrecorded = refusal && recordRefusal(db, args.db, refusal);
      if (unrecorded) log.warn('refusal-unrecorded', `refused ${refusal.code}, not counted: ${unrecorded}`);
    } finally {
      db.close();
    }
    const line = describeOutcome(outcome, args.db);
    log[levelOf(outcome)](outcome.status, line, { ...outcome });
    if (args.json) console.log(JSON.stringify(outcome));
  },
};
