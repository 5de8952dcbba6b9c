// kill -9 of a real writer process of the second handoff, mid-write: the file left is the
// previous write or the new one, whole and verified, never a mix; the dead writer's temp
// file is swept by the next write.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { isTempName } from '../src/index.js';
import { both, scratch, sleep } from './hops.js';

const writer = fileURLToPath(new URL('./fixtures/hops-writer.ts', import.meta.url));
const SIZE = 20000;
const KILLS = 4;

const temps = (dir: string) => readdirSync(dir).filter((name) => isTempName('hops.json', name));

for (const [mode, hops] of Object.entries(both)) {
  test(`${mode}: kill -9 of a writer mid-write leaves the previous or the new file, whole`, async () => {
    const s = scratch();
    let midWrite = 0;
    const seen = new Set<number>();
    try {
      for (let kill = 0; kill < KILLS; kill++) {
        const child = spawn(process.execPath, ['--import', 'tsx', writer, s.db, mode, String(SIZE)], { stdio: ['ignore', 'pipe', 'inherit'] });
        const exited = once(child, 'exit');
        const [first] = (await once(child.stdout!, 'data')) as [Buffer];
        assert.is(first.toString().trim(), 'ready');
        if (kill % 2 === 0) await sleep(Math.floor(Math.random() * 150));
        else {
          // Aim at the write itself: kill the moment the child's temp file appears
          const deadline = Date.now() + 3000;
          while (Date.now() < deadline && !temps(s.handoffDir).some((name) => name.includes(`.${child.pid}.`))) await sleep(0);
        }
        child.kill('SIGKILL');
        const [, signal] = (await exited) as [number | null, string | null];
        assert.is(signal, 'SIGKILL');

        const left = temps(s.handoffDir);
        assert.ok(left.length <= 1, `temp files left: ${left.join(', ')}`);
        if (left.length === 1) midWrite++;
        const read = await hops.read(s.db);
        assert.is(read.checksum, 'verified');
        assert.is(read.snapshot.count, SIZE, 'a whole file');
        const counts = new Set(read.snapshot.entries.map((e) => e.hops));
        assert.is(counts.size, 1, 'every entry from one write');
        seen.add([...counts][0]!);
      }
      // The next write sweeps what the dead writers left
      await hops.write(s.db, { entries: [] });
      assert.equal(readdirSync(s.handoffDir), ['hops.json']);
      console.log(`${mode}: ${KILLS} kills, ${midWrite} left a temp file (mid-write), ${seen.size} different writes found whole`);
      assert.ok(midWrite >= 1, 'at least one kill landed mid-write');
    } finally {
      s.cleanup();
    }
  });
}

test.run();
