import type { CommandModule } from 'yargs';
import { createLogger } from '@mbcap/cli';
import { withWrite, type WriteArgs } from '../options.js';
import { RESET_STATUSES, resetValues, type ResetReport, type ResetStatus } from '../reset.js';
import { openForWrite } from '../session.js';

type Args = WriteArgs & { key?: string[]; all: boolean; status?: string; json: boolean };

const HEX_KEY = /^[0-9a-fA-F]{2,64}$/;
const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** The keys (or all) and the status filter, or a RangeError naming what is wrong (exit 2). */
function request(args: Args): { keys: string[] | null; status: ResetStatus | null } {
  const keys = args.key ?? [];
  if (keys.length === 0 && !args.all) throw new RangeError('Expected --key HEX... or --all: name the rows to clear');
  if (keys.length > 0 && args.all) throw new RangeError('Expected --key HEX... or --all, not both');
  for (const key of keys) {
    if (!HEX_KEY.test(String(key))) throw new RangeError(`Expected --key to be a public key of 2 to 64 hex digits, got ${JSON.stringify(String(key))}`);
  }
  const status = args.status ?? null;
  if (status !== null && !(RESET_STATUSES as readonly string[]).includes(status)) {
    throw new RangeError(`Expected --status to be suspected or confirmed, got ${JSON.stringify(status)}`);
  }
  return { keys: args.all ? null : keys.map(String), status: status as ResetStatus | null };
}

export function describeReset(r: ResetReport): string {
  const which = r.keys === null ? 'all rows' : plural(r.keys.length, 'key');
  const held = r.status === null ? '' : ` holding ${r.status}`;
  const missing = r.notFound.length ? `; ${plural(r.notFound.length, 'key')} not in the database: ${r.notFound.join(', ')}` : '';
  return `reset ${which}${held}: ${plural(r.resetActive + r.resetInactive, 'row')} set to unknown (${r.resetActive} nodes, ${r.resetInactive} inactive_nodes)${missing}; recorded as reset ${r.id}. The next published snapshot may raise them again; apply --force re-applies the current one now`;
}

export const resetCommand: CommandModule<object, Args> = {
  command: 'reset',
  describe: 'Clear capability values back to unknown (multibyte_sup 0, no evidence): snapshots only ever raise a value, this is the one way down',
  builder: (y) =>
    withWrite(y)
      .option('key', {
        type: 'string',
        array: true,
        requiresArg: true,
        describe: 'Public key(s) to clear, hex, matched exactly as stored (repeat --key or list several)',
      })
      .option('all', { type: 'boolean', default: false, describe: 'Clear every row of nodes and inactive_nodes (instead of --key)' })
      .option('status', { type: 'string', requiresArg: true, describe: 'Clear only rows holding this status: suspected or confirmed (default: any)' })
      .option('json', { type: 'boolean', default: false, describe: 'Print what was done as one JSON object on stdout' })
      .epilogue(
        'The rows and a record of the reset (table mbcap_resets: keys or all, status filter, time, rows per table) are written in one transaction. ' +
          'The snapshot applied last stays applied in the ledger: the next published snapshot raises the cleared rows again if it says so; ' +
          'apply --force re-applies the current snapshot at once.',
      ) as never,
  handler: async (args) => {
    const log = createLogger({ format: args['log-format'] });
    const wanted = request(args);
    const db = openForWrite(args.db, log, { migrate: true, synchronous: args.synchronous });
    let report: ResetReport;
    try {
      report = resetValues(db, wanted);
    } finally {
      db.close();
    }
    const level = report.notFound.length ? 'warn' : 'info';
    log[level]('reset', describeReset(report), { ...report });
    if (args.json) console.log(JSON.stringify({ database: args.db, ...report }));
  },
};
