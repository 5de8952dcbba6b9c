// Options from the environment, as a unit file or a container sets them: MBCAP_DB for --db,
// MBCAP_WINDOW for --window; the command line wins; a misspelt variable is named, exit 2.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { repoRoot, run, scratch } from './helpers.js';

const SERVER = `${repoRoot}/apps/server/bin/mbcap-server.js`;
const INGESTOR = `${repoRoot}/apps/ingestor/bin/mbcap-ingestor.js`;

test('MBCAP_DB and MBCAP_WINDOW stand for --db and --window; the command line wins; an unknown MBCAP_ variable is named', async () => {
  const s = scratch('mbcap-env-');
  try {
    assert.is((await run(INGESTOR, ['migrate'], { env: { MBCAP_DB: s.db } })).code, 0);
    const published = await run(SERVER, ['publish', '--json'], { env: { MBCAP_DB: s.db, MBCAP_WINDOW: 'all' } });
    assert.is(published.code, 0, published.stderr);
    assert.is(JSON.parse(published.stdout).seq, 1);

    // The command line wins over the environment
    const wins = await run(SERVER, ['publish', '--json', '--db', s.db], { env: { MBCAP_DB: `${s.dir}/nowhere.db` } });
    assert.is(wins.code, 0, wins.stderr);
    const bad = await run(SERVER, ['publish', '--db', s.db], { env: { MBCAP_WINDOW: '-5d' } });
    assert.is(bad.code, 2);
    assert.match(bad.stderr, /Expected --window to be a positive duration such as 7d or 36h, or "all", got "-5d"/);

    const typo = await run(INGESTOR, ['status'], { env: { MBCAP_DB: s.db, MBCAP_DATABSE: s.db } });
    assert.is(typo.code, 2);
    assert.match(typo.stderr, /Unknown argument: databse \(set in the environment as MBCAP_DATABSE: no such option; unset it or correct its name\)/);
    assert.match((await run(SERVER, ['--help'])).stdout, /MBCAP_DB for --db/);
  } finally {
    s.cleanup();
  }
});

test.run();
