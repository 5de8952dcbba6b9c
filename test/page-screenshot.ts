// The README's picture of the operator's page: the demo mesh served by `mbcap-server run`,
// photographed by Debian's Chromium with a node open in the "why" view.
//
//   npm run screenshot            → docs/page.png
//   node --import tsx test/page-screenshot.ts OUT.png
import { join } from 'node:path';
import { chromium as launcher } from 'playwright-core';
import { findChromium, startPageServer } from './page-fixture.js';
import { repoRoot, scratch } from './helpers.js';

const out = process.argv[2] ?? join(repoRoot, 'docs', 'page.png');
const executablePath = findChromium();
if (executablePath === null) {
  console.error('screenshot: no Chromium found (apt-get install -y chromium, or set CHROMIUM_PATH)');
  process.exit(1);
}

const dir = scratch('mbcap-screenshot-');
const served = await startPageServer(dir.dir);
const browser = await launcher.launch({ executablePath });
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
  await page.goto(served.url);
  await page.locator('#node-rows tr').first().waitFor();
  await page.locator('#chart canvas').waitFor();
  // A suspected node's why: the packets that named it and the prefixes it shares
  await page.selectOption('#status', 'suspected');
  await page.locator('#node-rows tr').first().click();
  await page.locator('#why .why-text').waitFor();
  await page.screenshot({ path: out, fullPage: false });
  console.log(`screenshot: ${out}`);
} finally {
  await browser.close();
  await served.stop();
  dir.cleanup();
}
