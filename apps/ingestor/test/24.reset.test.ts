// `mbcap-ingestor reset`: the operator's one way to lower a value (a snapshot only ever
// raises one). It clears the chosen rows to unknown in both tables, records what it did,
// says it, refuses bad usage with exit 2, and leaves the next snapshot free to raise them.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import Database from 'better-sqlite3';
import { writeSnapshot, type MbcapEntry } from '@mbcap/snapshot';
import { applyJson, capabilities, ingestor, scratch, seedDb } from './helpers.js';

const NODES = [
  { key: 'aa11', sup: 2, evidence: 'advert' },
  { key: 'bb22', sup: 1, evidence: 'path' },
  { key: 'cc33', sup: 2, evidence: 'advert', inactive: true },
  { key: 'dd44', sup: 1, evidence: 'path', inactive: true },
  { key: 'EE55', sup: 2, evidence: 'advert' }, // stored upper case
  { key: 'ff66' }, // unknown already
];

function resets(db: string): Record<string, unknown>[] {
  const conn = new Database(db, { readonly: true });
  try {
    return conn.prepare('SELECT * FROM mbcap_resets ORDER BY id').all() as Record<string, unknown>[];
  } finally {
    conn.close();
  }
}

function resetJson(db: string, ...args: string[]) {
  const r = ingestor('reset', '--db', db, '--json', ...args);
  if (r.code !== 0) throw new Error(`reset exited ${r.code}: ${r.stderr}`);
  return { ...JSON.parse(r.stdout), stderr: r.stderr };
}

test('--key: the named rows go back to unknown in both tables, keys matched exactly, missing keys reported, recorded', () => {
  const s = scratch();
  try {
    seedDb(s.db, NODES);
    const out = resetJson(s.db, '--key', 'aa11', 'cc33', '--key', 'ee55', '--key', '9999');
    assert.is(out.resetActive, 1);
    assert.is(out.resetInactive, 1);
    assert.equal(out.keys, ['aa11', 'cc33', 'ee55', '9999']);
    assert.is(out.status, null);
    assert.equal(out.notFound, ['ee55', '9999'], 'ee55 is stored as EE55: keys match exactly');
    assert.match(
      out.stderr,
      /reset 4 keys: 2 rows set to unknown \(1 nodes, 1 inactive_nodes\); 2 keys not in the database: ee55, 9999; recorded as reset 1\. The next published snapshot may raise them again; apply --force re-applies the current one now/,
    );
    assert.equal(capabilities(s.db), {
      aa11: [0, null, 'nodes'],
      bb22: [1, 'path', 'nodes'],
      cc33: [0, null, 'inactive_nodes'],
      dd44: [1, 'path', 'inactive_nodes'],
      EE55: [2, 'advert', 'nodes'],
      ff66: [0, null, 'nodes'],
    });
    const [row] = resets(s.db);
    assert.equal(
      { ...row, reset_at: typeof row!.reset_at },
      { id: 1, reset_at: 'string', keys: '["aa11","cc33","ee55","9999"]', status: null, reset_active: 1, reset_inactive: 1, not_found: 2 },
    );
  } finally {
    s.cleanup();
  }
});

test('--all --status: only rows holding that status, in both tables; --all alone clears the rest', () => {
  const s = scratch();
  try {
    seedDb(s.db, NODES);
    const suspected = resetJson(s.db, '--all', '--status', 'suspected');
    assert.equal([suspected.resetActive, suspected.resetInactive, suspected.keys, suspected.status], [1, 1, null, 'suspected']);
    assert.match(suspected.stderr, /reset all rows holding suspected: 2 rows set to unknown \(1 nodes, 1 inactive_nodes\); recorded as reset 1/);
    assert.equal(capabilities(s.db), {
      aa11: [2, 'advert', 'nodes'],
      bb22: [0, null, 'nodes'],
      cc33: [2, 'advert', 'inactive_nodes'],
      dd44: [0, null, 'inactive_nodes'],
      EE55: [2, 'advert', 'nodes'],
      ff66: [0, null, 'nodes'],
    });
    const all = resetJson(s.db, '--all');
    assert.equal([all.resetActive, all.resetInactive], [2, 1], 'rows already unknown are not counted');
    for (const [sup, evidence] of Object.values(capabilities(s.db))) assert.equal([sup, evidence], [0, null]);
    assert.equal(
      resets(s.db).map((r) => [r.keys, r.status, r.reset_active, r.reset_inactive]),
      [
        [null, 'suspected', 1, 1],
        [null, null, 2, 1],
      ],
    );
    // Text output for people, without --json
    const text = ingestor('reset', '--db', s.db, '--key', 'aa11', '--status', 'confirmed');
    assert.is(text.code, 0, text.stderr);
    assert.is(text.stdout, '');
    assert.match(text.stderr, /reset 1 key holding confirmed: 0 rows set to unknown \(0 nodes, 0 inactive_nodes\); recorded as reset 3/);
  } finally {
    s.cleanup();
  }
});

test('bad usage exits 2 with a hint and changes nothing', () => {
  const s = scratch();
  try {
    seedDb(s.db, NODES);
    const before = capabilities(s.db);
    for (const [args, message] of [
      [[], /Expected --key HEX\.\.\. or --all/],
      [['--all', '--key', 'aa11'], /not both/],
      [['--key', 'zz11'], /Expected --key to be a public key of 2 to 64 hex digits, got "zz11"/],
      [['--all', '--status', 'unknown'], /Expected --status to be suspected or confirmed, got "unknown"/],
    ] as const) {
      const r = ingestor('reset', '--db', s.db, ...args);
      assert.is(r.code, 2, args.join(' '));
      assert.match(r.stderr, message);
      assert.match(r.stderr, /Run mbcap-ingestor --help/);
    }
    assert.equal(capabilities(s.db), before);
    assert.equal(resets(s.db), []);
    const help = ingestor('reset', '--help');
    assert.is(help.code, 0);
    for (const option of ['--db', '--key', '--all', '--status', '--json', '--log-format']) assert.ok(help.stdout.includes(option), option);
    assert.match(help.stdout, /apply --force re-applies/);
  } finally {
    s.cleanup();
  }
});

test('after a reset: the same snapshot is unchanged, apply --force or the next publish raises the rows again', async () => {
  const s = scratch();
  try {
    seedDb(s.db, [{ key: 'aa11' }, { key: 'bb22', inactive: true }]);
    const entries: MbcapEntry[] = [
      { public_key: 'aa11', status: 'confirmed', evidence: 'advert' },
      { public_key: 'bb22', status: 'suspected', evidence: 'path' },
    ];
    await writeSnapshot(s.db, { entries });
    assert.is(applyJson(s.db).status, 'applied');
    resetJson(s.db, '--all');
    assert.equal(capabilities(s.db), { aa11: [0, null, 'nodes'], bb22: [0, null, 'inactive_nodes'] });

    assert.is(applyJson(s.db).status, 'unchanged', 'the ledger still names this snapshot applied');
    assert.equal(capabilities(s.db), { aa11: [0, null, 'nodes'], bb22: [0, null, 'inactive_nodes'] });
    const forced = applyJson(s.db, '--force');
    assert.is(forced.status, 'applied');
    assert.equal([forced.updatedActive, forced.updatedInactive], [1, 1]);
    assert.equal(capabilities(s.db), { aa11: [2, 'advert', 'nodes'], bb22: [1, 'path', 'inactive_nodes'] });

    // Cleared again: the next publish (even with the same entries) raises them
    resetJson(s.db, '--key', 'aa11', 'bb22');
    await writeSnapshot(s.db, { entries });
    const next = applyJson(s.db);
    assert.is(next.status, 'applied');
    assert.equal(capabilities(s.db), { aa11: [2, 'advert', 'nodes'], bb22: [1, 'path', 'inactive_nodes'] });
  } finally {
    s.cleanup();
  }
});

test.run();
