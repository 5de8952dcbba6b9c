import type { CommandModule } from 'yargs';
import { createLogger, formatDuration, KEY_FILE_RULES, readKeyFile } from '@mbcap/cli';
import { hasTable, openDatabase, readRefusals, type RefusalSummary } from '@mbcap/dbschema';
import { SnapshotError } from '@mbcap/handoff';
import { mbcapHandoff } from '@mbcap/snapshot';
import { recentApplies, type LedgerRow } from '../ledger.js';
import { withDb, type CommonArgs } from '../options.js';

type Args = CommonArgs & { json: boolean; history: number; 'hmac-key-file'?: string };

export const statusCommand: CommandModule<object, Args> = {
  command: 'status',
  describe: 'What was applied when, the current snapshot file, whether it is applied yet, and the files refused',
  builder: (y) =>
    withDb(y)
      .option('json', { type: 'boolean', default: false, describe: 'Print one JSON object' })
      .option('history', { type: 'number', default: 10, describe: 'How many recent applies to list' })
      .option('hmac-key-file', {
        type: 'string',
        requiresArg: true,
        describe: `Verify the snapshot signature with the key in this file: ${KEY_FILE_RULES}`,
      }) as never,
  handler: async (args) => {
    if (!Number.isInteger(args.history) || args.history < 0) throw new RangeError(`Expected --history to be a whole number, got ${args.history}`);
    const hmacKey = readKeyFile(args['hmac-key-file'], { use: 'verify', log: createLogger({ format: args['log-format'] }) });
    const db = openDatabase(args.db, { readonly: true });
    let history: LedgerRow[] = [];
    let refusals: RefusalSummary | null = null;
    try {
      if (hasTable(db, 'mbcap_ledger')) history = recentApplies(db, Math.max(args.history, 1));
      refusals = readRefusals(db);
    } finally {
      db.close();
    }

    // The current file
    const path = mbcapHandoff.path(args.db);
    let snapshot: Record<string, unknown> | null = null;
    try {
      const read = await mbcapHandoff.read(args.db, { hmacKey });
      const applied = history.find((row) => row.content_hash === read.contentHash);
      snapshot = {
        path,
        state: applied ? 'applied' : 'pending',
        seq: read.snapshot.seq,
        writtenAt: read.snapshot.writtenAt,
        ageMs: Date.now() - read.snapshot.writtenAtMs,
        entries: read.snapshot.count,
        invalid: read.invalid,
        contentHash: read.contentHash,
        appliedAt: applied?.applied_at ?? null,
      };
    } catch (error) {
      if (!(error instanceof SnapshotError)) throw error;
      snapshot = error.code === 'NOT_FOUND' ? { path, state: 'absent' } : { path, state: 'refused', code: error.code, reason: error.message };
    }
    const shown = history.slice(0, args.history);

    if (args.json) {
      console.log(JSON.stringify({ database: args.db, snapshot, history: shown, refusals }));
      return;
    }
    const s = snapshot;
    if (s.state === 'absent') console.log(`snapshot: none yet at ${path}`);
    else if (s.state === 'refused') console.log(`snapshot: REFUSED (${s.code}): ${s.reason}`);
    else {
      const name = s.seq === null ? 'snapshot (no seq)' : `snapshot seq ${s.seq}`;
      const state = s.state === 'applied' ? `applied at ${s.appliedAt}` : 'NOT applied yet';
      console.log(`${name}: written ${s.writtenAt} (${formatDuration(s.ageMs as number)} ago), ${s.entries} entries; ${state}`);
    }
    const refused = refusals === null ? 0 : Object.values(refusals.totals).reduce((n, count) => n + count, 0);
    if (refusals === null || refused === 0) console.log('refused files: none recorded');
    else {
      const byCode = Object.entries(refusals.totals)
        .sort((a, b) => b[1] - a[1])
        .map(([code, count]) => `${code} ${count}`)
        .join(', ');
      const last = refusals.last;
      console.log(`refused files: ${refused} (${byCode})${last ? `; the last at ${last.at}: ${last.code}${last.reason ? ` (${last.reason})` : ''}` : ''}`);
    }
    if (shown.length === 0) console.log('history: nothing applied yet');
    else {
      console.log('history (newest first):');
      for (const row of shown) {
        const seq = row.seq === null ? 'no seq' : `seq ${row.seq}`;
        console.log(
          `  ${row.applied_at}  ${seq.padEnd(9)} ${row.entries_read} entries: ${row.updated_active + row.updated_inactive} rows updated (${row.updated_active} nodes, ${row.updated_inactive} inactive), ${row.skipped} unknown, ${row.not_found} not found${row.kept_higher ? `, ${row.kept_higher} kept higher` : ''}${row.invalid ? `, ${row.invalid} invalid` : ''}${row.forced ? ', forced' : ''}`,
        );
      }
    }
  },
};
