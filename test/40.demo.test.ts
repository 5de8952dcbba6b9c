import { test } from 'uvu';
import * as assert from 'uvu/assert';
import Database from 'better-sqlite3';
import { generateMesh } from '@mbcap/meshgen';
import { repoRoot, run, scratch } from './helpers.js';

const demo = `${repoRoot}/apps/demo/dist/main.js`;
const SUP = { unknown: 0, suspected: 1, confirmed: 2 } as const;

test('the demo: two real processes hand the first snapshot over, and the database holds what the generator planted', async () => {
  const s = scratch();
  try {
    const r = await run(demo, ['--once', '--data', s.dir, '--seed', '7', '--nodes', '60', '--packets', '1200', '--port', '0']);
    assert.is(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /server +published seq 1: \d+ nodes/);
    assert.match(r.stdout, /ingestor applied seq 1 in .*after the publish: \d+ rows updated/);
    assert.match(r.stdout, /verify +all 60 generated nodes hold the status the generator planted/);

    // Check the database ourselves, against the generator's plan for the same seed
    const planned = generateMesh({ seed: 7, nodes: 60, packets: 1200, now: Date.now() }).nodes;
    const db = new Database(s.db, { readonly: true });
    const row = (table: string, key: string) =>
      db.prepare(`SELECT multibyte_sup, multibyte_evidence FROM ${table} WHERE public_key = ? COLLATE NOCASE`).get(key) as
        | { multibyte_sup: number; multibyte_evidence: string | null }
        | undefined;
    const seen = new Set<string>();
    for (const node of planned) {
      const found = row(node.inactive ? 'inactive_nodes' : 'nodes', node.publicKey);
      assert.ok(found, `${node.name} in ${node.inactive ? 'inactive_nodes' : 'nodes'}`);
      assert.is(found!.multibyte_sup, SUP[node.planned], `${node.name}: planned ${node.planned}`);
      assert.is(found!.multibyte_evidence, node.planned === 'confirmed' ? 'advert' : node.planned === 'suspected' ? 'path' : null);
      seen.add(`${node.inactive ? 'inactive' : 'active'} ${node.planned}`);
    }
    db.close();
    for (const kind of ['active confirmed', 'active suspected', 'active unknown', 'inactive confirmed', 'inactive suspected', 'inactive unknown'])
      assert.ok(seen.has(kind), `the mesh has ${kind} nodes`);
  } finally {
    s.cleanup();
  }
});

test('the demo leaves a database it did not make alone', async () => {
  const s = scratch();
  try {
    const db = new Database(s.db);
    db.exec('CREATE TABLE precious (x)');
    db.close();
    const r = await run(demo, ['--once', '--data', s.dir, '--port', '0']);
    assert.is(r.code, 1);
    assert.match(r.stderr, /mesh\.db exists and was not made by the demo; leaving it alone/);
    const after = new Database(s.db, { readonly: true });
    assert.equal(after.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").pluck().all(), ['precious']);
    after.close();
  } finally {
    s.cleanup();
  }
});

test.run();
