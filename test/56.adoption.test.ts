// GET /api/adoption counts, per day, the nodes confirmed and suspected by its end, from the
// first evidence times the cycle keeps, over every packet stored whatever the window. Its
// plain twin recomputes every day's statuses from the packets seen by the end of that day,
// with the capability rules themselves; the two must agree on every day.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { writeFileSync } from 'node:fs';
import { parseFirstSeen } from '@mbcap/dbschema';
import { createRng, generateMesh, toJsonLines } from '@mbcap/meshgen';
import { adoptionOf } from '../apps/server/src/adoption.js';
import { createCapabilityAccumulator, type NodeRow, type PacketRow } from '../apps/server/src/capability.js';
import { computeCapabilities } from '../apps/server/src/compute.js';
import { openServerDatabase, type ServerDatabase } from '../apps/server/src/database.js';
import { repoRoot, run, scratch } from './helpers.js';

const INGESTOR = `${repoRoot}/apps/ingestor/bin/mbcap-ingestor.js`;
const DAY = 86_400_000;

/** Confirmed and suspected counts from the packets whose first_seen is at most `until`. */
function countsUntil(source: ServerDatabase, since: Date | null, until: number): { confirmed: number; suspected: number } {
  const nodes: NodeRow[] = [];
  for (const table of ['nodes', 'inactive_nodes'])
    nodes.push(...(source.db.prepare(`SELECT public_key, name, role, last_seen FROM ${table}`).all() as NodeRow[]));
  const accumulator = createCapabilityAccumulator(nodes, { since });
  for (const row of source.db.prepare('SELECT raw_hex, payload_type, decoded_json, path_json, first_seen FROM transmissions').all() as PacketRow[]) {
    const time = parseFirstSeen(row.first_seen);
    if (time !== null && time <= until) accumulator.add(row);
  }
  const counts = { confirmed: 0, suspected: 0 };
  for (const entry of accumulator.finish()) if (entry.status !== 'unknown') counts[entry.status]++;
  return counts;
}

test('adoption per day equals the statuses recomputed from each day’s packets: demo mesh and real packets', async () => {
  const s = scratch();
  try {
    assert.is((await run(INGESTOR, ['migrate', '--db', s.db])).code, 0);
    const now = Date.now();
    const lines = `${s.dir}/mesh.jsonl`;
    // Stored out of time order, as packets reach an analyzer late: the scan meets a node's
    // evidence in rowid order, and its first evidence need not come first
    const rng = createRng(11);
    const packets = generateMesh({ seed: 7, nodes: 80, packets: 2000, now }).packets;
    writeFileSync(
      lines,
      toJsonLines(
        packets
          .map((p) => ({ p, r: rng.next() }))
          .sort((a, b) => a.r - b.r)
          .map(({ p }) => p),
      ),
    );
    for (const file of [lines, `${repoRoot}/apps/demo/data/real-packets.jsonl`]) assert.is((await run(INGESTOR, ['import', '--db', s.db, file])).code, 0);

    const source = openServerDatabase(s.db);
    try {
      let previous: ReturnType<typeof adoptionOf> | null = null;
      for (const windowMs of [7 * DAY, null]) {
        const { kept, counts } = computeCapabilities(source, { windowMs, now, keep: true });
        const adoption = adoptionOf(kept!);
        const label = windowMs === null ? 'all' : '7d';
        // Every packet counts, whatever the window: a node adopted when it adopted
        if (previous !== null) assert.equal(adoption, previous, `${label}: the same whatever the window`);
        previous = adoption;
        assert.is(adoption.days.at(-1), new Date(now).toISOString().slice(0, 10), `${label}: ends today`);

        const last = adoption.days.length - 1;
        let moved = 0;
        adoption.days.forEach((day, d) => {
          // The last day has no end: a packet stamped ahead of the clock counts there
          const until = d === last ? Number.POSITIVE_INFINITY : Date.parse(`${day}T00:00:00Z`) + DAY - 1;
          const twin = countsUntil(source, null, until);
          assert.equal({ confirmed: adoption.confirmed[d], suspected: adoption.suspected[d] }, twin, `${label}: ${day}`);
          if (d > 0 && adoption.suspected[d]! < adoption.suspected[d - 1]!) moved++;
        });
        if (windowMs === null)
          assert.equal(
            { confirmed: adoption.confirmed[last], suspected: adoption.suspected[last] },
            { confirmed: counts.confirmed, suspected: counts.suspected },
          );
        // Nodes suspected first and confirmed later leave the suspected count: the case is covered
        assert.ok(moved > 0, `${label}: some node went from suspected to confirmed`);
        console.log(`  ${label}: ${adoption.days.length} days compared, last ${adoption.confirmed[last]} confirmed, ${adoption.suspected[last]} suspected`);
      }
    } finally {
      source.db.close();
    }
  } finally {
    s.cleanup();
  }
});

test.run();
