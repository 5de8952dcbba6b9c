import type { CommandModule } from 'yargs';
import { openServerDatabase } from '../database.js';
import { explainNode, type NodeExplanation } from '../explain-node.js';
import { isNodeKey } from '../explain.js';
import { windowMs } from '../options.js';

type Args = { db: string; key: string; window: string; json: boolean };

export const explainCommand: CommandModule<object, Args> = {
  command: 'explain <key>',
  describe: 'Why one node has its status: the evidence in the window and the value stored in the database',
  builder: (y) =>
    y
      .positional('key', { type: 'string', demandOption: true, describe: "The node's public key (hex, any case)" })
      .option('db', { type: 'string', demandOption: true, requiresArg: true, describe: 'Path of the SQLite database, opened read-only' })
      .option('window', { type: 'string', default: '7d', requiresArg: true, describe: 'How far back packets count (e.g. 7d, 36h), or "all" for every packet' })
      .option('json', { type: 'boolean', default: false, describe: 'Print the explanation as one JSON object on stdout' }) as never,
  handler: async (args) => {
    // Interpret arguments before touching the database
    const window = windowMs(args.window);
    const key = String(args.key);
    if (!isNodeKey(key)) throw new RangeError(`Expected KEY to be 2 to 64 hex digits, got ${JSON.stringify(key)}`);
    const source = openServerDatabase(args.db);
    let explanation: NodeExplanation | null;
    try {
      explanation = explainNode(source, key, { windowMs: window });
    } finally {
      source.db.close();
    }
    if (explanation === null) throw new Error(`no node has the key ${key} in ${args.db}`);
    console.log(args.json ? JSON.stringify(explanation) : describe(explanation, args.window));
  },
};

function describe(e: NodeExplanation, window: string): string {
  const lines = [
    `${e.public_key} (${e.name ?? 'no name'}, ${e.role ?? 'no role'}): ${e.status}${e.evidence ? ` by ${e.evidence}` : ''}, max hash size ${e.maxHashSize}, over ${window === 'all' ? 'all packets' : `the last ${window}`}`,
  ];
  const why = e.why;
  if ('newest' in why && 'sharing' in why) {
    lines.push(`${why.packets} packets with a hop equal to its prefix${why.packets > why.newest.length ? `; the newest ${why.newest.length}` : ''}:`);
    for (const p of why.newest) lines.push(`  ${p.first_seen}  ${p.hash}  payload type ${p.payloadType}, hash size ${p.hashSize}, hop ${p.hop}`);
    for (const s of why.sharing) lines.push(`prefix ${s.hop} is shared with ${s.nodes.length === 0 ? 'no other node' : s.nodes.join(', ')}`);
  } else if ('newest' in why) {
    lines.push(`${why.adverts} multi-byte adverts${why.adverts > why.newest.length ? `; the newest ${why.newest.length}` : ''}:`);
    for (const a of why.newest) lines.push(`  ${a.first_seen}  ${a.hash}  route type ${a.routeType}, hash size ${a.hashSize}`);
  } else {
    lines.push(
      `${why.adverts} adverts seen: ${Object.entries(why.bySize)
        .map(([size, n]) => `${n} at ${size} byte${size === '1' ? '' : 's'}`)
        .join(', ')}; ${why.zeroHopDirect} zero-hop direct (say nothing)`,
    );
  }
  const s = e.stored;
  lines.push(
    `stored in ${s.table}: multibyte_sup ${s.multibyte_sup ?? 'NULL'}, multibyte_evidence ${s.multibyte_evidence ?? 'NULL'}${e.storedHigher ? ' (higher than computed: kept, a stored value only rises)' : ''}`,
  );
  return lines.join('\n');
}
