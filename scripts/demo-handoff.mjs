// Two processes, one snapshot file: this process consumes, a child publishes.
import { fork } from 'node:child_process';
import { createSnapshotConsumer, writeSnapshot } from '../packages/snapshot/dist/index.js';

const [db, onceArg] = process.argv.slice(2);
if (process.env.MBCAP_DEMO_ROLE === 'publisher') {
  for (let i = 1; ; i++) {
    const entries = Array.from({ length: 1000 }, (_, k) => ({ public_key: k.toString(16).padStart(64, '0'), status: (k + i) % 3 === 0 ? 'confirmed' : 'unknown' }));
    const started = process.hrtime.bigint();
    const r = await writeSnapshot(db, { entries });
    console.log(`publisher: wrote seq ${r.seq} (${r.entries} entries, ${r.bytes} bytes) in ${Number(process.hrtime.bigint() - started) / 1e6} ms`);
    await new Promise((ok) => setTimeout(ok, 1000));
  }
} else {
  const once = onceArg === '1';
  const consumer = createSnapshotConsumer(db, {
    cron: '*/5 * * * *',
    handler: (result) => {
      const s = result.snapshot;
      const delay = Date.now() - s.writtenAtMs;
      console.log(`consumer:  read seq ${s.seq}: ${s.entries.length} entries, checksum ${result.checksum}, ${delay} ms after it was written`);
      if (once) void stop(0);
    },
    onEvent: (e) => {
      if (e.type === 'rejected') console.log(`consumer:  rejected ${e.path}: ${e.error.message}`);
    },
  });
  const publisher = fork(new URL(import.meta.url), [db], { env: { ...process.env, MBCAP_DEMO_ROLE: 'publisher' } });
  async function stop(code) {
    publisher.kill('SIGTERM');
    await consumer.stop();
    process.exit(code);
  }
  process.on('SIGINT', () => stop(0));
  process.on('SIGTERM', () => stop(0));
  await consumer.start();
  console.log(`consumer:  watching ${db.replace(/mesh\.db$/, 'mbcap-snapshot/')} (Ctrl-C to stop)`);
}
