// The web UI in a real browser: search, results, trace timeline, span details, hostile values.
// Drives Debian's chromium through playwright-core against a server started here on port 0.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { attr, makeResource, makeSpan, SpanKind, StatusCode, type Span } from '@ariadne/model';
import { MemoryStore } from '@ariadne/storage';
import { createQueryHandler } from '@ariadne/query';

const root = fileURLToPath(new URL('../..', import.meta.url));
const uiDir = join(root, 'packages/ui/dist');
const artifacts = join(root, 'test-artifacts');
const CHROMIUM = process.env.ARIADNE_CHROMIUM ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

const XSS = '<img src=x onerror=alert(1)>';
const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const MS = 1_000_000n; // ns
const T0 = BigInt(Date.now() - 5 * 60_000) * MS; // five minutes ago, in ns

// One known trace, built with the model and stored in a real MemoryStore; written out of tree order.
const frontend = makeResource('frontend', [attr('hostname', 'web-1')]);
const customer = makeResource('customer');
const driver = makeResource('driver', [attr('ip', '10.0.0.3')]);
const redis = makeResource('redis');
const sid = (n: number) => n.toString(16).padStart(16, '0');
const at = (ms: number) => T0 + BigInt(Math.round(ms * 1000)) * 1000n;
const SPANS: Span[] = [
  makeSpan({ traceId: TRACE_ID, spanId: sid(4), parentSpanId: sid(3), name: 'redis GET driver:42', kind: SpanKind.CLIENT, startTimeUnixNano: at(50), endTimeUnixNano: at(60), resource: redis, attributes: [attr('db.system', 'redis')] }),
  makeSpan({
    traceId: TRACE_ID, spanId: sid(3), parentSpanId: sid(1), name: 'FindNearest', kind: SpanKind.SERVER, startTimeUnixNano: at(45), endTimeUnixNano: at(90), resource: driver,
    attributes: [attr('driver.note', XSS), attr('retries', 2)],
    status: { code: StatusCode.ERROR, message: 'no drivers nearby' },
    events: [{ timeUnixNano: at(47.5), name: 'cache miss', attributes: [attr('key', 'driver:42')], droppedAttributesCount: 0 }],
    warnings: ['clock skew adjusted'],
  }),
  makeSpan({ traceId: TRACE_ID, spanId: sid(1), name: 'HTTP GET /dispatch', kind: SpanKind.SERVER, startTimeUnixNano: at(0), endTimeUnixNano: at(100), resource: frontend, attributes: [attr('http.method', 'GET'), attr('http.status_code', 200), attr('big.id', 12345678901234567890n)] }),
  makeSpan({ traceId: TRACE_ID, spanId: sid(2), parentSpanId: sid(1), name: 'SQL SELECT', kind: SpanKind.CLIENT, startTimeUnixNano: at(10), endTimeUnixNano: at(40), resource: customer, attributes: [attr('db.statement', 'SELECT * FROM customer WHERE id = 7')] }),
];
// A second, similar trace from 25 hours ago (outside the searches' lookbacks and the dependencies
// window): two SQL SELECTs, no redis call. Used to compare.
const TRACE2_ID = 'c0ffee00c0ffee00c0ffee00c0ffee00';
const at2 = (ms: number) => at(ms) - 25n * 3_600_000n * MS;
const SPANS2: Span[] = [
  makeSpan({ traceId: TRACE2_ID, spanId: sid(0x21), name: 'HTTP GET /dispatch', kind: SpanKind.SERVER, startTimeUnixNano: at2(0), endTimeUnixNano: at2(80), resource: frontend }),
  makeSpan({ traceId: TRACE2_ID, spanId: sid(0x22), parentSpanId: sid(0x21), name: 'SQL SELECT', kind: SpanKind.CLIENT, startTimeUnixNano: at2(5), endTimeUnixNano: at2(20), resource: customer }),
  makeSpan({ traceId: TRACE2_ID, spanId: sid(0x23), parentSpanId: sid(0x21), name: 'SQL SELECT', kind: SpanKind.CLIENT, startTimeUnixNano: at2(25), endTimeUnixNano: at2(40), resource: customer }),
  makeSpan({ traceId: TRACE2_ID, spanId: sid(0x24), parentSpanId: sid(0x21), name: 'FindNearest', kind: SpanKind.SERVER, startTimeUnixNano: at2(45), endTimeUnixNano: at2(75), resource: driver }),
];

// A large trace: 10,000 spans, four children per parent, five services.
const BIG_TRACE_ID = '00000000000000000000000000b16b16';
const BIG_N = 10_000;
const bigResources = [0, 1, 2, 3, 4].map((i) => makeResource(`svc-${i}`));
const BIG_SPANS: Span[] = Array.from({ length: BIG_N }, (_, i) =>
  makeSpan({
    traceId: BIG_TRACE_ID,
    spanId: sid(i + 1),
    parentSpanId: i === 0 ? '' : sid(Math.floor((i - 1) / 4) + 1),
    name: `op-${i}`,
    startTimeUnixNano: at(i * 0.01),
    endTimeUnixNano: at(i * 0.01 + 1 + (BIG_N - i) * 0.01),
    resource: bigResources[i % 5],
    attributes: [attr('i', i)],
  }),
);
const TREE_ORDER = ['HTTP GET /dispatch', 'SQL SELECT', 'FindNearest', 'redis GET driver:42'];

// ---- the real query service (Jaeger JSON API + the built UI) over a MemoryStore ----
const apiRequests: string[] = [];

async function startServer(): Promise<Server> {
  const store = new MemoryStore();
  await store.writeSpans(SPANS);
  await store.writeSpans(BIG_SPANS);
  await store.writeSpans(SPANS2);
  const handler = createQueryHandler({ store, uiDir });
  const server = createServer((req, res) => {
    if (req.url?.startsWith('/api/')) apiRequests.push(req.url);
    handler(req, res);
  });
  server.on('close', () => void store.close());
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

// ---- setup ----
let server: Server | undefined;
let browser: Browser | undefined;
let base = '';
const dialogs: string[] = [];
const pageErrors: string[] = [];

before(async () => {
  if (!existsSync(join(uiDir, 'index.html'))) {
    const r = spawnSync('npm', ['run', 'build', '-w', '@ariadne/ui', '--silent'], { cwd: root, stdio: 'inherit' });
    assert.equal(r.status, 0, 'building the UI failed');
  }
  mkdirSync(artifacts, { recursive: true });
  server = await startServer();
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  if (!existsSync(CHROMIUM)) {
    if (process.env.CI) throw new Error(`chromium not found at ${CHROMIUM} (required when CI is set)`);
    return;
  }
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, timeout: 60_000 });
});

after(async () => {
  await browser?.close().catch(() => {});
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
});

/** Poll an async condition (for states without a single element to wait on). */
async function until(cond: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error('condition not met within ' + timeoutMs + ' ms');
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function newPage(t: { skip: (msg: string) => void }): Promise<Page | undefined> {
  if (!browser) {
    t.skip(`chromium not found at ${CHROMIUM}`);
    return undefined;
  }
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  page.setDefaultTimeout(15_000);
  page.on('dialog', (d) => {
    dialogs.push(d.message());
    void d.dismiss();
  });
  page.on('pageerror', (e) => pageErrors.push(e.message));
  return page;
}

test('search page lists services, finds the trace, and keeps the search in the URL', async (t) => {
  const page = await newPage(t);
  if (!page) return;
  try {
    await page.goto(base + '/');
    const services = page.getByTestId('service-select');
    await until(async () => (await services.locator('option').count()) >= 4);
    assert.deepEqual(await services.locator('option').allTextContents(), ['customer', 'driver', 'frontend', 'redis', 'svc-0', 'svc-1', 'svc-2', 'svc-3', 'svc-4']);

    // operations follow the chosen service
    await services.selectOption('driver');
    const ops = page.getByTestId('operation-select').locator('option');
    await until(async () => (await ops.allTextContents()).includes('FindNearest'));
    assert.deepEqual(await ops.allTextContents(), ['all', 'FindNearest']);

    await services.selectOption('frontend');
    await until(async () => (await ops.allTextContents()).includes('HTTP GET /dispatch'));
    assert.deepEqual(await ops.allTextContents(), ['all', 'HTTP GET /dispatch']);
    await page.getByTestId('tags-input').fill('http.method=GET');
    await page.getByTestId('lookback-select').selectOption('2h');
    await page.getByTestId('search-submit').click();

    const result = page.getByTestId('trace-result');
    await result.waitFor();
    assert.equal(await result.count(), 1);
    assert.equal(await result.getAttribute('data-trace-id'), TRACE_ID);
    assert.equal(await page.getByTestId('result-name').textContent(), 'frontend: HTTP GET /dispatch');
    assert.equal(await page.getByTestId('result-span-count').textContent(), '4 spans');
    assert.equal(await page.getByTestId('result-duration').textContent(), '100ms');
    assert.equal(await page.getByTestId('result-errors').textContent(), '1 error');
    const badges = await result.getByTestId('service-badge').allTextContents();
    assert.deepEqual([...badges].sort(), ['customer(1)', 'driver(1)', 'frontend(1)', 'redis(1)']);

    // the form state is in the URL (Jaeger's parameter names), tags sent as JSON
    const u = new URL(page.url());
    assert.equal(u.pathname, '/search');
    assert.equal(u.searchParams.get('service'), 'frontend');
    assert.equal(u.searchParams.get('lookback'), '2h');
    assert.deepEqual(JSON.parse(u.searchParams.get('tags') ?? ''), { 'http.method': 'GET' });
    const sent = apiRequests.filter((r) => r.startsWith('/api/traces?')).at(-1) ?? '';
    assert.deepEqual(JSON.parse(new URLSearchParams(sent.split('?')[1]).get('tags') ?? ''), { 'http.method': 'GET' });
    // the scatter plot has one point per result
    assert.equal(await page.getByTestId('scatter-point').getAttribute('data-trace-id'), TRACE_ID);
    await page.screenshot({ path: join(artifacts, 'ui-search.png'), fullPage: true });

    // a deep link restores the form and runs the search; a non-matching tag finds nothing
    await page.goto(base + '/search?service=driver&tags=' + encodeURIComponent('{"db.system":"mysql"}') + '&lookback=1h&limit=20');
    await page.getByTestId('empty').waitFor();
    assert.match((await page.getByTestId('search-results').textContent()) ?? '', /No traces found/);
    assert.equal(await page.getByTestId('service-select').inputValue(), 'driver');
    assert.equal(await page.getByTestId('tags-input').inputValue(), 'db.system=mysql');

    // an error from the API is shown plainly
    await page.goto(base + '/search?service=frontend&lookback=' + encodeURIComponent('<b>soon</b>') + '&limit=20');
    const apiError = page.getByTestId('error');
    await apiError.waitFor();
    assert.match((await apiError.textContent()) ?? '', /Search failed.*400/s);
    assert.equal(await apiError.locator('b').count(), 0);

    // invalid logfmt is reported, not sent
    await page.getByTestId('tags-input').fill('novalue');
    await page.getByTestId('search-submit').click();
    assert.match((await page.getByTestId('form-error').textContent()) ?? '', /no value/);
  } finally {
    await page.close();
  }
});

test('trace view shows the span tree, details on click, and hostile values as text', async (t) => {
  const page = await newPage(t);
  if (!page) return;
  try {
    await page.goto(base + '/search?service=frontend&lookback=1h&limit=20');
    await page.getByTestId('trace-result').click();
    await page.waitForURL(`**/trace/${TRACE_ID}`);
    await page.getByTestId('timeline').waitFor();

    assert.equal(await page.getByTestId('trace-title').textContent(), 'frontend: HTTP GET /dispatch');
    assert.equal(await page.getByTestId('trace-span-count').textContent(), '4');
    assert.equal(await page.getByTestId('trace-duration').textContent(), '100ms');
    assert.equal(await page.getByTestId('trace-service-count').textContent(), '4');

    const rows = page.getByTestId('span-row');
    assert.deepEqual(await rows.getByTestId('span-operation').allTextContents(), TREE_ORDER);
    assert.deepEqual(await rows.getByTestId('span-service').allTextContents(), ['frontend', 'customer', 'driver', 'redis']);
    assert.deepEqual(await rows.evaluateAll((els) => els.map((e) => e.getAttribute('data-depth'))), ['0', '1', '1', '2']);

    // bars are positioned relative to the trace: FindNearest starts at 45% and spans 45%
    const style = (await rows.nth(2).getByTestId('span-bar').getAttribute('style')) ?? '';
    const pct = (prop: string) => Math.round(parseFloat(new RegExp(`(?:^|;)\\s*${prop}:\\s*([\\d.]+)%`).exec(style)?.[1] ?? 'NaN'));
    assert.deepEqual([pct('left'), pct('width')], [45, 45], style);
    await page.screenshot({ path: join(artifacts, 'ui-trace.png'), fullPage: true });

    // click FindNearest: its tags, process, logs, references and warnings appear
    await rows.nth(2).click();
    const detail = page.getByTestId('span-detail');
    await detail.waitFor();
    assert.equal(await detail.getAttribute('data-span-id'), '0000000000000003');
    const tagRows = await detail.getByTestId('tags-table').getByTestId('kv-row').allInnerTexts();
    const tagTexts = tagRows.map((r) => r.replace(/\s+/g, ' ').trim());
    assert.equal(tagTexts[0], `driver.note ${XSS}`);
    for (const expected of ['retries 2', 'error true', 'span.kind server', 'otel.status_description no drivers nearby']) {
      assert.ok(tagTexts.includes(expected), `tag row "${expected}" in ${JSON.stringify(tagTexts)}`);
    }
    assert.equal(await detail.locator('img').count(), 0, 'an attribute value must not become an element');
    assert.equal(await page.locator('img').count(), 0);
    assert.equal(await detail.getByTestId('log-time').textContent(), '47.5ms') // relative to the trace start;
    assert.match((await detail.getByTestId('log-entry').textContent()) ?? '', /cache miss/);
    assert.match((await detail.getByTestId('reference').textContent()) ?? '', /CHILD_OF.*frontend: HTTP GET \/dispatch/);
    assert.match((await detail.getByTestId('detail-warnings').textContent()) ?? '', /clock skew adjusted/);
    await detail.getByTestId('detail-process').locator('summary').click();
    assert.match((await detail.getByTestId('process-table').textContent()) ?? '', /ip10\.0\.0\.3/);
    await page.screenshot({ path: join(artifacts, 'ui-span-detail.png'), fullPage: true });

    // an int64 beyond 2^53 keeps its digits
    await rows.nth(0).click();
    const rootTags = (await page.locator('[data-testid=span-detail][data-span-id="0000000000000001"]').getByTestId('kv-row').allInnerTexts()).map((r) => r.replace(/\s+/g, ' ').trim());
    assert.ok(rootTags.includes('big.id 12345678901234567890'), JSON.stringify(rootTags));
    await rows.nth(0).click();

    // find in trace: matches are marked, kept in the URL (?uiFind=), key=value matches tags
    await page.getByTestId('trace-find-input').fill('driver:42');
    await until(async () => (await page.getByTestId('trace-find-count').textContent()) === '2 matches');
    assert.deepEqual(await rows.evaluateAll((els) => els.map((e) => e.getAttribute('data-match'))), ['false', 'false', 'true', 'true']);
    assert.equal(new URL(page.url()).searchParams.get('uiFind'), 'driver:42');
    await page.getByTestId('trace-find-input').fill('db.system=redis');
    await until(async () => (await page.getByTestId('trace-find-count').textContent()) === '1 match');
    assert.equal(await page.locator('[data-testid=span-row][data-match=true]').getAttribute('data-span-id'), '0000000000000004');
    await page.screenshot({ path: join(artifacts, 'ui-trace-find.png'), fullPage: true });
    await page.getByTestId('trace-find-input').fill('');
    await until(async () => (await page.getByTestId('trace-find-count').count()) === 0);
    assert.equal(new URL(page.url()).search, '');
    assert.equal(await page.getByTestId('trace-json-link').getAttribute('href'), `/api/traces/${TRACE_ID}?prettyPrint=true`);

    // the critical path: root 0-10, SQL 10-40, root 40-45, FindNearest 45-50, redis 50-60, FindNearest 60-90, root 90-100 (ms)
    await page.getByTestId('critical-path-toggle').click();
    const segs = await page.getByTestId('critical-segment').evaluateAll((els) =>
      els.map((e) => `${e.closest('[data-testid=span-row]')?.getAttribute('data-span-id')}:${Number(e.getAttribute('data-start')) / 1000}-${Number(e.getAttribute('data-end')) / 1000}`),
    );
    assert.deepEqual(segs, [
      `${sid(1)}:0-10`, `${sid(1)}:40-45`, `${sid(1)}:90-100`, `${sid(2)}:10-40`, `${sid(3)}:45-50`, `${sid(3)}:60-90`, `${sid(4)}:50-60`,
    ]);
    await page.screenshot({ path: join(artifacts, 'ui-critical-path.png'), fullPage: true });
    await page.getByTestId('critical-path-toggle').click();
    assert.equal(await page.getByTestId('critical-segment').count(), 0);

    // zoom: drag across the overview from 40% to the end; the timeline shows 40ms-100ms
    const area = await page.getByTestId('minimap-area').boundingBox();
    assert.ok(area);
    await page.mouse.move(area.x + area.width * 0.4, area.y + area.height / 2);
    await page.mouse.down();
    await page.mouse.move(area.x + area.width * 0.7, area.y + area.height / 2, { steps: 4 });
    await page.mouse.move(area.x + area.width - 1, area.y + area.height / 2, { steps: 4 });
    await page.mouse.up();
    await page.getByTestId('reset-zoom').waitFor();
    const ticks = await page.locator('.tl-tick').allTextContents();
    assert.equal(ticks[0], '40ms');
    assert.match(ticks[ticks.length - 1], /^(99\.\d+|100)ms$/);
    assert.equal(await rows.nth(1).getByTestId('span-bar').count(), 1, 'SQL SELECT (10-40ms) touches the window edge');
    const zoomedStyle = (await rows.nth(2).getByTestId('span-bar').getAttribute('style')) ?? '';
    const zl = parseFloat(/left:\s*([\d.]+)%/.exec(zoomedStyle)?.[1] ?? 'NaN');
    assert.ok(Math.abs(zl - (5 / 60) * 100) < 1.5, `FindNearest starts 5ms into a 60ms window: ${zoomedStyle}`);
    await page.screenshot({ path: join(artifacts, 'ui-trace-zoomed.png'), fullPage: true });
    await page.getByTestId('reset-zoom').click();
    assert.equal((await page.locator('.tl-tick').allTextContents())[0], '0µs');

    // keyboard: arrows move between rows, Enter opens details, Left collapses
    await rows.nth(0).focus();
    await page.keyboard.press('ArrowDown');
    assert.equal(await page.locator('[data-testid=span-row]:focus').getAttribute('data-span-id'), sid(2));
    await page.keyboard.press('Enter');
    await page.locator(`[data-testid=span-detail][data-span-id="${sid(2)}"]`).waitFor();
    await page.keyboard.press('Enter');
    await page.keyboard.press('ArrowUp');
    await page.keyboard.press('ArrowLeft');
    await until(async () => (await page.getByTestId('span-row').count()) === 1);
    await page.keyboard.press('ArrowRight');
    await until(async () => (await page.getByTestId('span-row').count()) === 4);

    // the name column can be widened by dragging the divider
    const tl = await page.getByTestId('timeline').boundingBox();
    const handle = await page.getByTestId('column-resizer').boundingBox();
    assert.ok(tl && handle);
    await page.mouse.move(handle.x + handle.width / 2, handle.y + handle.height / 2);
    await page.mouse.down();
    await page.mouse.move(tl.x + tl.width * 0.5, handle.y + handle.height / 2, { steps: 5 });
    await page.mouse.up();
    const nameBox = await rows.nth(0).locator('.tl-name-col').boundingBox();
    assert.ok(nameBox && Math.abs(nameBox.width / tl.width - 0.5) < 0.03, `name column ${nameBox?.width} of ${tl.width}`);

    // collapsing FindNearest hides its child
    await rows.nth(2).getByTestId('span-toggle').click();
    assert.deepEqual(await page.getByTestId('span-row').getByTestId('span-operation').allTextContents(), TREE_ORDER.slice(0, 3));
    // clicking the row again closes its details
    await page.getByTestId('span-row').nth(2).click();
    assert.equal(await page.getByTestId('span-detail').count(), 0);

    await page.waitForTimeout(200);
    assert.deepEqual(dialogs, [], 'no dialog may fire');
  } finally {
    await page.close();
  }
});

test('find trace by id: a known id opens the trace, an unknown id shows the API error', async (t) => {
  const page = await newPage(t);
  if (!page) return;
  try {
    await page.goto(base + '/search');
    await page.getByTestId('find-trace-input').fill('ffffffffffffffffffffffffffffffff');
    await page.getByTestId('find-trace-button').click();
    await page.waitForURL('**/trace/ffffffffffffffffffffffffffffffff');
    const err = page.getByTestId('error');
    await err.waitFor();
    assert.match((await err.textContent()) ?? '', /404.*trace not found/);
    await page.screenshot({ path: join(artifacts, 'ui-trace-not-found.png'), fullPage: true });

    await page.getByTestId('find-trace-input').fill(`  ${TRACE_ID.toUpperCase()} `);
    await page.getByTestId('find-trace-input').press('Enter');
    await page.waitForURL(`**/trace/${TRACE_ID}`);
    await page.getByTestId('timeline').waitFor();
    assert.equal(await page.getByTestId('span-row').count(), 4);

    // several ids list those traces and name the ones not found
    await page.getByTestId('find-trace-input').fill(`${TRACE_ID}, ${TRACE2_ID} ${'e'.repeat(32)}`);
    await page.getByTestId('find-trace-button').click();
    await page.waitForURL('**/search?traceID=*');
    await until(async () => (await page.getByTestId('trace-result').count()) === 2);
    assert.deepEqual(new URL(page.url()).searchParams.getAll('traceID'), [TRACE_ID, TRACE2_ID, 'e'.repeat(32)]);
    assert.match((await page.getByTestId('not-found-ids').textContent()) ?? '', new RegExp('e{32}'));
    await page.goBack();
    await page.waitForURL(`**/trace/${TRACE_ID}`);

    // browser back returns to the previous view
    await page.goBack();
    await page.getByTestId('error').waitFor();

    // the theme toggle switches to dark and is remembered across a reload
    await page.getByTestId('theme-toggle').click();
    await until(async () => (await page.locator('html').getAttribute('data-theme')) === 'dark');
    await page.reload();
    await page.getByTestId('error').waitFor();
    assert.equal(await page.locator('html').getAttribute('data-theme'), 'dark');
    await page.screenshot({ path: join(artifacts, 'ui-dark-not-found.png'), fullPage: true });
    await page.goto(`${base}/trace/${TRACE_ID}`);
    await page.getByTestId('span-row').nth(2).click();
    await page.getByTestId('span-detail').waitFor();
    assert.equal(await page.locator('html').getAttribute('data-theme'), 'dark');
    await page.screenshot({ path: join(artifacts, 'ui-dark-trace.png'), fullPage: true });
    await page.getByTestId('theme-toggle').click();
    assert.equal(await page.locator('html').getAttribute('data-theme'), 'light');
    assert.deepEqual(pageErrors, []);
    assert.deepEqual(dialogs, []);
  } finally {
    await page.close();
  }
});

test('compare: tick two results, see which service/operation paths differ', async (t) => {
  const page = await newPage(t);
  if (!page) return;
  try {
    // with limit=1 only the most recent shows, and the UI says the limit was reached
    await page.goto(base + '/search?service=frontend&lookback=2d&limit=1');
    await page.getByTestId('results-limit').waitFor();
    assert.equal(await page.getByTestId('trace-result').count(), 1);

    await page.goto(base + '/search?service=frontend&lookback=2d&limit=20');
    await until(async () => (await page.getByTestId('trace-result').count()) === 2);
    assert.equal(await page.getByTestId('compare-button').isDisabled(), true);
    const ids = await page.getByTestId('trace-result').evaluateAll((els) => els.map((e) => e.getAttribute('data-trace-id')));
    assert.deepEqual(ids, [TRACE_ID, TRACE2_ID], 'most recent first');
    await page.getByTestId('result-select').nth(0).check();
    await page.getByTestId('result-select').nth(1).check();
    await page.getByTestId('compare-button').click();
    await page.waitForURL(`**/trace/${TRACE_ID}...${TRACE2_ID}`);
    await page.getByTestId('compare-page').waitFor();
    const rows = page.getByTestId('compare-row');
    const table = await rows.evaluateAll((els) =>
      els.map((e) => [
        e.querySelector('[data-testid=compare-operation]')?.textContent,
        e.querySelector('[data-testid=compare-count-a]')?.textContent,
        e.querySelector('[data-testid=compare-count-b]')?.textContent,
        e.getAttribute('data-status'),
      ]),
    );
    assert.deepEqual(table, [
      ['HTTP GET /dispatch', '1', '1', 'same'],
      ['SQL SELECT', '1', '2', 'changed'],
      ['FindNearest', '1', '1', 'same'],
      ['redis GET driver:42', '1', '0', 'removed'],
    ]);
    assert.match((await page.getByTestId('compare-card-b').textContent()) ?? '', /frontend: HTTP GET \/dispatch.*80ms.*4 spans/);
    await page.screenshot({ path: join(artifacts, 'ui-compare.png'), fullPage: true });
    assert.deepEqual(pageErrors, []);
  } finally {
    await page.close();
  }
});

test('dependencies page draws the service graph and lists the calls', async (t) => {
  const page = await newPage(t);
  if (!page) return;
  try {
    await page.goto(base + '/search');
    await page.getByTestId('nav-dependencies').click();
    await page.waitForURL('**/dependencies');
    await page.getByTestId('deps-graph').waitFor();
    const nodes = await page.getByTestId('deps-node').evaluateAll((els) => els.map((e) => e.getAttribute('data-service')));
    for (const svc of ['frontend', 'customer', 'driver', 'redis']) assert.ok(nodes.includes(svc), `${svc} in ${JSON.stringify(nodes)}`);
    const rows = (await page.getByTestId('dependency-row').allInnerTexts()).map((r) => r.split('\t').map((c) => c.trim()).join(' '));
    for (const expected of ['frontend customer 1', 'frontend driver 1', 'driver redis 1']) assert.ok(rows.includes(expected), `${expected} in ${JSON.stringify(rows)}`);
    assert.ok(!rows.some((r) => r.startsWith('customer ')), 'customer calls nobody');
    await page.locator('[data-testid=deps-edge][data-parent=driver][data-child=redis]').waitFor();
    await page.screenshot({ path: join(artifacts, 'ui-dependencies.png'), fullPage: true });
    // a node opens its deep dependency graph, which links to the search for that service
    await page.locator('[data-testid=deps-node][data-service=redis]').click();
    await page.locator('[data-testid=deep-deps][data-service=redis]').waitFor();
    await page.getByTestId('deep-search-link').click();
    await page.waitForURL('**/search?service=redis');
    assert.equal(await page.getByTestId('service-select').inputValue(), 'redis');
    assert.deepEqual(pageErrors, []);
  } finally {
    await page.close();
  }
});

test('a 10,000-span trace renders quickly and only the rows near the viewport are in the DOM', async (t) => {
  const page = await newPage(t);
  if (!page) return;
  try {
    await page.goto(base + '/search');
    await page.getByTestId('search-form').waitFor();
    const started = Date.now();
    await page.getByTestId('find-trace-input').fill(BIG_TRACE_ID);
    await page.getByTestId('find-trace-input').press('Enter');
    await page.getByTestId('span-row').first().waitFor();
    const ms = Date.now() - started;
    t.diagnostic(`10,000-span trace: first rows after ${ms} ms (fetch, parse, model, render)`);
    assert.ok(ms < 10_000, `took ${ms} ms`);
    assert.equal(await page.getByTestId('trace-span-count').textContent(), String(BIG_N));
    const inDom = await page.getByTestId('span-row').count();
    assert.ok(inDom > 10 && inDom < 300, `${inDom} rows in the DOM`);
    assert.equal(await page.getByTestId('span-row').first().getAttribute('data-span-id'), sid(1));

    // scrolling to the end brings the last span in depth-first order into the DOM
    await page.evaluate('window.scrollTo(0, document.documentElement.scrollHeight)');
    let last = 0; // last in depth-first order: follow the last child down
    while (4 * last + 4 < BIG_N) last = 4 * last + 4;
    const lastId = sid(last + 1);
    await page.locator(`[data-testid=span-row][data-span-id="${lastId}"]`).waitFor();
    assert.ok((await page.getByTestId('span-row').count()) < 300);

    // a deep link with ?uiFind= scrolls to the (first) match
    await page.goto(`${base}/trace/${BIG_TRACE_ID}?uiFind=op-${last}`);
    await page.locator(`[data-testid=span-row][data-span-id="${lastId}"][data-match=true]`).waitFor();
    assert.equal(await page.getByTestId('trace-find-count').textContent(), '1 match');

    // collapse all leaves just the root
    await page.evaluate('window.scrollTo(0, 0)');
    await page.getByTestId('collapse-all').click();
    await until(async () => (await page.getByTestId('span-row').count()) === 1);
    assert.equal(await page.getByTestId('visible-count').textContent(), `1 of ${BIG_N} spans shown`);
    await page.getByTestId('expand-all').click();
    await until(async () => (await page.getByTestId('span-row').count()) > 10);
    await page.screenshot({ path: join(artifacts, 'ui-large-trace.png') });
    assert.deepEqual(pageErrors, []);
  } finally {
    await page.close();
  }
});
