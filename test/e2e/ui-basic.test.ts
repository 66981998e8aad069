// The web UI in a real browser: search, results, trace timeline, span details, hostile values.
// Drives Debian's chromium through playwright-core against a server started here on port 0.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';

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
const NOW_US = Date.now() * 1000;
const T0 = NOW_US - 5 * 60 * 1_000_000; // five minutes ago

// One known trace in Jaeger query JSON; spans deliberately out of tree order.
const kv = (key: string, value: unknown, type = typeof value === 'boolean' ? 'bool' : typeof value === 'number' ? 'int64' : 'string') => ({ key, type, value });
const ref = (spanID: string) => [{ refType: 'CHILD_OF', traceID: TRACE_ID, spanID }];
const TRACE = {
  traceID: TRACE_ID,
  spans: [
    { traceID: TRACE_ID, spanID: '0000000000000004', operationName: 'redis GET driver:42', references: ref('0000000000000003'), startTime: T0 + 50_000, duration: 10_000, tags: [kv('db.system', 'redis')], logs: [], processID: 'p4', warnings: null },
    { traceID: TRACE_ID, spanID: '0000000000000003', operationName: 'FindNearest', references: ref('0000000000000001'), startTime: T0 + 45_000, duration: 45_000, tags: [kv('driver.note', XSS), kv('error', true), kv('retries', 2)], logs: [{ timestamp: T0 + 47_500, fields: [kv('event', 'cache miss'), kv('key', 'driver:42')] }], processID: 'p3', warnings: ['clock skew adjusted'] },
    { traceID: TRACE_ID, spanID: '0000000000000001', operationName: 'HTTP GET /dispatch', references: [], startTime: T0, duration: 100_000, tags: [kv('http.method', 'GET'), kv('http.status_code', 200)], logs: [], processID: 'p1', warnings: null },
    { traceID: TRACE_ID, spanID: '0000000000000002', operationName: 'SQL SELECT', references: ref('0000000000000001'), startTime: T0 + 10_000, duration: 30_000, tags: [kv('db.statement', 'SELECT * FROM customer WHERE id = 7')], logs: [], processID: 'p2', warnings: null },
  ],
  processes: {
    p1: { serviceName: 'frontend', tags: [kv('hostname', 'web-1')] },
    p2: { serviceName: 'customer', tags: [] },
    p3: { serviceName: 'driver', tags: [kv('ip', '10.0.0.3')] },
    p4: { serviceName: 'redis', tags: [] },
  },
  warnings: null,
};
const TREE_ORDER = ['HTTP GET /dispatch', 'SQL SELECT', 'FindNearest', 'redis GET driver:42'];

// ---- a stand-in query service: Jaeger JSON API over the known trace + the built UI ----
const apiRequests: string[] = [];
const MIME: Record<string, string> = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.css': 'text/css', '.map': 'application/json', '.svg': 'image/svg+xml' };

function serviceOf(span: (typeof TRACE.spans)[number]): string {
  return TRACE.processes[span.processID as keyof typeof TRACE.processes].serviceName;
}

function handle(url: URL): { status: number; body: unknown } | undefined {
  const p = url.pathname;
  if (p === '/api/services') return { status: 200, body: { data: [...new Set(TRACE.spans.map(serviceOf))].sort() } };
  let m = /^\/api\/services\/([^/]+)\/operations$/.exec(p);
  if (m) {
    const svc = decodeURIComponent(m[1]);
    return { status: 200, body: { data: [...new Set(TRACE.spans.filter((s) => serviceOf(s) === svc).map((s) => s.operationName))].sort() } };
  }
  if (p === '/api/traces') {
    const q = url.searchParams;
    const tags = JSON.parse(q.get('tags') ?? '{}') as Record<string, string>;
    const hit = TRACE.spans.some(
      (s) =>
        serviceOf(s) === q.get('service') &&
        (!q.get('operation') || s.operationName === q.get('operation')) &&
        Object.entries(tags).every(([k, v]) => s.tags.some((t) => t.key === k && String(t.value) === v)),
    );
    return { status: 200, body: { data: hit ? [TRACE] : [] } };
  }
  m = /^\/api\/traces\/([^/]+)$/.exec(p);
  if (m) {
    if (m[1] === TRACE_ID) return { status: 200, body: { data: [TRACE] } };
    return { status: 404, body: { data: null, errors: [{ code: 404, msg: 'trace not found' }] } };
  }
  return undefined;
}

function startServer(): Promise<Server> {
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname.startsWith('/api/')) {
      apiRequests.push(url.pathname + url.search);
      const r = handle(url) ?? { status: 404, body: { errors: [{ code: 404, msg: 'no such route' }] } };
      res.writeHead(r.status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(r.body));
      return;
    }
    let file = normalize(join(uiDir, decodeURIComponent(url.pathname)));
    if (!file.startsWith(uiDir) || !existsSync(file) || statSync(file).isDirectory()) file = join(uiDir, 'index.html');
    res.writeHead(200, { 'content-type': MIME[extname(file)] ?? 'application/octet-stream' });
    res.end(readFileSync(file));
  });
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
    await page.waitForFunction(() => document.querySelectorAll('[data-testid=service-select] option').length >= 4);
    assert.deepEqual(await services.locator('option').allTextContents(), ['customer', 'driver', 'frontend', 'redis']);

    // operations follow the chosen service
    await services.selectOption('driver');
    await page.waitForFunction(() => document.querySelectorAll('[data-testid=operation-select] option').length === 2);
    assert.deepEqual(await page.getByTestId('operation-select').locator('option').allTextContents(), ['all', 'FindNearest']);

    await services.selectOption('frontend');
    await page.waitForFunction(() => [...document.querySelectorAll('[data-testid=operation-select] option')].some((o) => o.textContent === 'HTTP GET /dispatch'));
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
    await page.screenshot({ path: join(artifacts, 'ui-search.png'), fullPage: true });

    // a deep link restores the form and runs the search; a non-matching tag finds nothing
    await page.goto(base + '/search?service=driver&tags=' + encodeURIComponent('{"db.system":"mysql"}') + '&lookback=1h&limit=20');
    await page.getByTestId('empty').waitFor();
    assert.match((await page.getByTestId('search-results').textContent()) ?? '', /No traces found/);
    assert.equal(await page.getByTestId('service-select').inputValue(), 'driver');
    assert.equal(await page.getByTestId('tags-input').inputValue(), 'db.system=mysql');

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
    const bar = await rows.nth(2).getByTestId('span-bar').evaluate((e) => [(e as HTMLElement).style.left, (e as HTMLElement).style.width]);
    assert.deepEqual(bar.map((v) => Math.round(parseFloat(v))), [45, 45]);
    await page.screenshot({ path: join(artifacts, 'ui-trace.png'), fullPage: true });

    // click FindNearest: its tags, process, logs, references and warnings appear
    await rows.nth(2).click();
    const detail = page.getByTestId('span-detail');
    await detail.waitFor();
    assert.equal(await detail.getAttribute('data-span-id'), '0000000000000003');
    const tagRows = await detail.getByTestId('tags-table').getByTestId('kv-row').allInnerTexts();
    assert.deepEqual(tagRows.map((r) => r.replace(/\s+/g, ' ').trim()), [`driver.note ${XSS}`, 'error true', 'retries 2']);
    assert.equal(await detail.locator('img').count(), 0, 'an attribute value must not become an element');
    assert.equal(await page.locator('img').count(), 0);
    assert.equal(await detail.getByTestId('log-time').textContent(), '47.5ms') // relative to the trace start;
    assert.match((await detail.getByTestId('log-entry').textContent()) ?? '', /cache miss/);
    assert.match((await detail.getByTestId('reference').textContent()) ?? '', /CHILD_OF.*frontend: HTTP GET \/dispatch/);
    assert.match((await detail.getByTestId('detail-warnings').textContent()) ?? '', /clock skew adjusted/);
    await detail.getByTestId('detail-process').locator('summary').click();
    assert.match((await detail.getByTestId('process-table').textContent()) ?? '', /ip10\.0\.0\.3/);
    await page.screenshot({ path: join(artifacts, 'ui-span-detail.png'), fullPage: true });

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
    assert.equal(await page.getByTestId('span-row').count(), 4);

    // browser back returns to the previous view
    await page.goBack();
    await page.getByTestId('error').waitFor();
    assert.deepEqual(pageErrors, []);
    assert.deepEqual(dialogs, []);
  } finally {
    await page.close();
  }
});
