/// <reference lib="dom" />
// The operator's page in a real browser (Debian's Chromium, driven by playwright-core) on the
// demo mesh served by `mbcap-server run`: what a person sees after loading it, searching,
// filtering and opening a node. Without Chromium the suite says so and is skipped.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Browser, Page } from 'playwright-core';
import { computeCapabilities } from '../apps/server/src/compute.js';
import { openServerDatabase } from '../apps/server/src/database.js';
import { findChromium, HOSTILE, startPageServer, type PageServer } from './page-fixture.js';
import { scratch } from './helpers.js';

type Entry = { public_key: string; name: string | null; status: string; role: string | null; table: string };
type Capability = { counts: Record<string, number>; entries: Entry[] };

const chromium = findChromium();
if (chromium === null) {
  test("the page in a browser (skipped: install Debian's chromium package to run it)", () => {
    console.log('  skipped: no Chromium found (apt-get install -y chromium, or set CHROMIUM_PATH)');
  });
} else {
  const dir = scratch('mbcap-page-');
  let served: PageServer;
  let browser: Browser;
  let page: Page;
  let capability: Capability;
  const problems: string[] = [];

  // Playwright's innerText, not the DOM's: the text as rendered, what a person reads
  // biome-ignore lint/performance/useDomNodeTextContent: a Playwright locator, not a DOM node
  const text = (selector: string) => page.locator(selector).innerText();
  const rowCount = () => page.locator('#node-rows tr').count();
  const column = (index: number) => page.locator(`#node-rows tr td:nth-child(${index})`).allInnerTexts();
  const api = async <T>(path: string): Promise<T> => (await (await fetch(`${served.url}${path}`)).json()) as T;

  test.before(async () => {
    served = await startPageServer(dir.dir);
    capability = await api<Capability>('/api/multibyte-capability');
    const { chromium: launcher } = await import('playwright-core');
    browser = await launcher.launch({ executablePath: chromium });
    page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    // A blocked script, a refused inline style, an uncaught error: each is a problem
    page.on('console', (message) => message.type() === 'error' && problems.push(message.text()));
    page.on('pageerror', (error) => problems.push(error.message));
    await page.goto(served.url);
    await page.locator('#node-rows tr').first().waitFor();
  });

  test.after(async () => {
    await browser?.close();
    await served?.stop();
    dir.cleanup();
  });

  test('every node is listed, confirmed first, and the summary gives the counts', async () => {
    const total = capability.entries.length;
    assert.ok(total > 120, `${total} nodes`);
    assert.is(await text('#count'), `${total} nodes`);
    assert.is(await rowCount(), total);
    const statuses = await column(1);
    assert.equal(
      statuses,
      [...statuses].sort((a, b) => ['confirmed', 'suspected', 'unknown'].indexOf(a) - ['confirmed', 'suspected', 'unknown'].indexOf(b)),
    );
    const { confirmed, suspected, unknown } = capability.counts;
    assert.match(await text('#summary'), `${total} nodes: ${confirmed} confirmed, ${suspected} suspected, ${unknown} unknown`);
  });

  test('a name that is markup shows as text and runs nothing', async () => {
    assert.is(await text(`#node-rows tr[data-key="${HOSTILE.key}"] td.name`), HOSTILE.name);
    assert.is(await page.locator('#node-rows img').count(), 0);
    assert.is(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned), undefined);
    const response = await fetch(`${served.url}/`);
    assert.match(response.headers.get('content-security-policy') ?? '', "script-src 'self'");
    assert.not.match(response.headers.get('content-security-policy') ?? '', 'unsafe-inline');
  });

  test('search by name and by key prefix, any case', async () => {
    const node = capability.entries.find((e) => e.status === 'suspected' && e.name !== null)!;
    const total = capability.entries.length;
    await page.fill('#search', node.name!.slice(0, -1).toUpperCase());
    const byName = capability.entries.filter((e) => (e.name ?? '').toLowerCase().includes(node.name!.slice(0, -1).toLowerCase()));
    assert.is(await text('#count'), `${byName.length} of ${total} nodes`);
    assert.ok((await column(2)).includes(node.name!));

    await page.fill('#search', node.public_key.slice(0, 6).toUpperCase());
    assert.is(await text('#count'), `1 of ${total} nodes`);
    assert.is(await page.locator('#node-rows tr').getAttribute('data-key'), node.public_key);

    await page.fill('#search', 'no node is called this');
    assert.is(await text('#count'), `0 of ${total} nodes`);
    assert.is(await rowCount(), 0);
    await page.fill('#search', '');
    assert.is(await rowCount(), total);
  });

  test('filters by status, table and role', async () => {
    const total = capability.entries.length;
    await page.selectOption('#status', 'suspected');
    assert.is(await text('#count'), `${capability.counts.suspected} of ${total} nodes`);
    assert.ok((await column(1)).every((s) => s === 'suspected'));

    await page.selectOption('#table', 'inactive_nodes');
    const inactiveSuspected = capability.entries.filter((e) => e.status === 'suspected' && e.table === 'inactive_nodes');
    assert.ok(inactiveSuspected.length > 0, 'the demo has inactive suspected nodes');
    assert.is(await text('#count'), `${inactiveSuspected.length} of ${total} nodes`);
    assert.ok((await column(5)).every((t) => t === 'inactive_nodes'));

    await page.selectOption('#status', '');
    await page.selectOption('#table', '');
    await page.selectOption('#role', 'room');
    const rooms = capability.entries.filter((e) => e.role === 'room');
    assert.ok(rooms.length > 0, 'the demo has rooms');
    assert.is(await text('#count'), `${rooms.length} of ${total} nodes`);
    assert.ok((await column(4)).every((r) => r === 'room'));
    await page.selectOption('#role', '');
  });

  test("a node's why: what decided its status, and what the database holds", async () => {
    // Confirmed: its adverts
    const confirmed = capability.entries.find((e) => e.status === 'confirmed')!;
    const explained = await api<{ why: { adverts: number; newest: unknown[] } }>(`/api/nodes/${confirmed.public_key}/capability`);
    await page.locator(`#node-rows tr[data-key="${confirmed.public_key}"] td.name button`).click();
    await page.locator('#why .why-text').waitFor();
    assert.is(await text('#why-title'), `Why ${confirmed.name} is confirmed`);
    assert.match(await text('#why-body'), `Confirmed: it sent ${explained.why.adverts} advert`);
    assert.is(await page.locator('#why-body ul li').count(), explained.why.newest.length);
    assert.match(await text('#why-body'), `The database holds confirmed (advert) in ${confirmed.table}.`);
    assert.match(page.url(), `#node=${confirmed.public_key}`);

    // Suspected: the packets naming its prefix, and who shares it
    const suspected = capability.entries.find((e) => e.status === 'suspected')!;
    await page.locator(`#node-rows tr[data-key="${suspected.public_key}"]`).click();
    await page.locator('#why-title', { hasText: 'suspected' }).waitFor();
    assert.match(await text('#why-body'), /Suspected: \d+ packets? with multi-byte paths named its key prefix/);
    assert.match(await text('#why-body'), 'Prefixes shared');

    // The hostile name, as text in the title too
    await page.locator(`#node-rows tr[data-key="${HOSTILE.key}"]`).click();
    await page.locator('#why-title', { hasText: 'unknown' }).waitFor();
    assert.is(await text('#why-title'), `Why ${HOSTILE.name} is unknown`);
    assert.match(await text('#why-body'), 'Unknown: no multi-byte advert');
    assert.is(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned), undefined);

    await page.click('#why-close');
    assert.is(await page.locator('#why').isHidden(), true);
  });

  test('the health panel: the last publish, and what this server does not report said so', async () => {
    const health = await text('#health-list');
    assert.match(health, /Server\s+ok/);
    assert.match(health, /Last publish\s+seq 1, \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC \(.* ago\); \d+ entries in \d+ ms/);
    assert.match(health, /Publishes\s+1/);
    assert.match(health, /Unchanged cycles\s+\d+/);
    assert.match(health, /Failed cycles\s+0/);
    // The writer's side is not in /healthz (yet): said, not left blank
    for (const term of ['Last apply', 'Publish → apply', 'Refused files']) assert.match(health, new RegExp(`${term}\\s+(not reported by this server|[^\\n]+)`));
  });

  test("the health panel shows the writer's side when /healthz reports it", async () => {
    // /healthz as a server reading the ingestor's ledger and refusals answers it
    const real = await api<{ lastPublish: { seq: number; at: string; durationMs: number } }>('/healthz');
    // From the snapshot's writtenAt to the commit, as the ledger has them
    const published = Date.parse(real.lastPublish.at);
    const handoff = {
      lastApplied: { seq: real.lastPublish.seq, appliedAt: new Date(published + 250).toISOString(), writtenAt: real.lastPublish.at },
      lastAppliedSeq: real.lastPublish.seq,
      lagSeconds: 0,
      waiting: null,
      refusals: { MALFORMED: 2, CHECKSUM_MISMATCH: 1 },
      lastRefusal: { at: new Date(published - 60_000).toISOString(), code: 'CHECKSUM_MISMATCH', seq: null, reason: 'checksum mismatch' },
    };
    const other = await browser.newPage();
    try {
      await other.route('**/healthz', (route) => route.fulfill({ json: { ...real, handoff } }));
      await other.goto(served.url);
      await other.locator('#health-list dt', { hasText: 'Last apply' }).waitFor();
      // biome-ignore lint/performance/useDomNodeTextContent: a Playwright locator, not a DOM node
      const health = await other.locator('#health-list').innerText();
      assert.match(health, new RegExp(`Last apply\\s+seq ${real.lastPublish.seq}, \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d UTC`));
      assert.match(health, new RegExp(`Publish → apply\\s+250 ms \\(seq ${real.lastPublish.seq}\\)`));
      assert.match(health, /Refused files\s+3 \(the last: CHECKSUM_MISMATCH, /);
      assert.not.match(health, 'not reported');
    } finally {
      await other.close();
    }
  });

  test('the adoption chart is drawn and ends at the counts over every packet stored', async () => {
    const adoption = await api<{ days: string[]; confirmed: number[]; suspected: number[] }>('/api/adoption');
    const last = adoption.days.length - 1;
    // Adoption reads every packet, not only the window's: its last day is the statuses over all of them
    const source = openServerDatabase(served.db);
    const all = computeCapabilities(source, { windowMs: null }).counts;
    source.db.close();
    assert.is(adoption.confirmed[last], all.confirmed);
    assert.is(adoption.suspected[last], all.suspected);
    assert.match(await text('#adoption-note'), `On ${adoption.days[last]}: ${all.confirmed} confirmed, ${all.suspected} suspected.`);
    // Pixels on the plot's canvas: the lines and their fills
    const painted = await page.evaluate(() => {
      const canvas = document.querySelector('#chart canvas') as HTMLCanvasElement | null;
      if (canvas === null) return -1;
      const { data } = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height);
      let n = 0;
      for (let i = 3; i < data.length; i += 4) if (data[i]! > 0) n++;
      return n;
    });
    assert.ok(painted > 1000, `${painted} pixels painted`);
    assert.match(await text('#chart'), 'confirmed');
  });

  test('nothing was refused or thrown on the page', () => {
    assert.equal(problems, []);
  });
}

test.run();
