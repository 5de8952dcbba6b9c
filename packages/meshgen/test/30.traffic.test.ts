import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { decodePacket, toHex } from '@mbcap/meshcore';
import { expectedStatuses, generateMesh, nextTraffic, type MeshState } from '../src/index.ts';

const DAY = 86_400_000;
const later = (state: MeshState, ms: number) => new Date(Date.parse(state.now) + ms);
const start = () => generateMesh({ seed: 11, nodes: 60, packets: 800 });

test('a step adds packets after the old now, deterministically, without touching the input', () => {
  const mesh = start();
  const before = JSON.stringify(mesh);
  const step = nextTraffic(mesh, later(mesh, DAY), 200);
  assert.is(JSON.stringify(mesh), before, 'input state unchanged');
  assert.equal(nextTraffic(mesh, later(mesh, DAY), 200), step);
  assert.ok(step.added.length >= 200);
  assert.is(step.packets.length, mesh.packets.length + step.added.length);
  assert.is(step.now, later(mesh, DAY).toISOString());
  const hashes = new Set(step.packets.map((p) => p.hash));
  assert.is(hashes.size, step.packets.length, 'hashes stay unique across steps');
  for (const packet of step.added) {
    const time = Date.parse(packet.first_seen);
    assert.ok(time > Date.parse(mesh.now) && time <= Date.parse(step.now), packet.first_seen);
    const decoded = decodePacket(packet.raw_hex)!;
    assert.equal([decoded.hashSize, decoded.hops, toHex(decoded.payload)], [packet.encoded.hashSize, packet.encoded.hops, packet.encoded.payload]);
  }
});

test('an upgrade makes a 1-byte node confirmed; a reveal makes an old-firmware relay suspected', () => {
  const mesh = start();
  const step = nextTraffic(mesh, later(mesh, 3600_000), 50, { upgrades: 1, reveals: 1 });
  assert.is(step.events.length, 2);
  assert.match(step.events[0]!, /^upgrade: /);
  assert.match(step.events[1]!, /^reveal: /);
  const upgraded = step.nodes.find((n, i) => n.hashSize !== mesh.nodes[i]!.hashSize)!;
  const revealed = step.nodes.find((n, i) => n.multibyteRelay !== mesh.nodes[i]!.multibyteRelay && n !== upgraded)!;
  assert.is(mesh.nodes.find((n) => n.publicKey === upgraded.publicKey)!.hashSize, 1);
  assert.is(step.expected[upgraded.publicKey], 'confirmed');
  assert.ok(step.added.some((p) => p.advert?.publicKey === upgraded.publicKey && p.encoded.hashSize === 2));
  assert.is(mesh.expected[revealed.publicKey], 'unknown');
  assert.is(step.expected[revealed.publicKey], 'suspected');
  const changed = Object.fromEntries(step.changes.map((c) => [c.publicKey, `${c.from}->${c.to}`]));
  assert.is(changed[revealed.publicKey], 'unknown->suspected');
  assert.match(changed[upgraded.publicKey]!, /->confirmed$/);
});

test('planted statuses hold as the window slides, even over a jump longer than the window', () => {
  let state: MeshState = start();
  for (const [ms, count] of [
    [DAY, 100],
    [2 * DAY, 100],
    [8 * DAY, 300],
    [DAY / 24, 10],
  ] as const) {
    state = nextTraffic(state, later(state, ms), count);
    for (const node of state.nodes) assert.is(state.expected[node.publicKey], node.planned, `${node.name} at ${state.now}`);
    assert.equal(expectedStatuses(state.nodes, state.packets, { now: state.now, windowMs: state.windowMs }), state.expected);
  }
  // After the 8-day jump, the initial mesh's packets are all outside the window
  const since = Date.parse(state.now) - state.windowMs;
  assert.ok(state.packets.filter((p) => Date.parse(p.first_seen) < since).length >= 800);
});

test('misuse: a now that is not later, a bad count', () => {
  const mesh = generateMesh({ nodes: 8, packets: 0 });
  assert.throws(
    () => nextTraffic(mesh, mesh.now, 1),
    (e: Error) => e instanceof RangeError && /"now"/.test(e.message),
  );
  assert.throws(
    () => nextTraffic(mesh, later(mesh, 1000), -1),
    (e: Error) => e instanceof RangeError && /"count"/.test(e.message),
  );
});

test.run();
