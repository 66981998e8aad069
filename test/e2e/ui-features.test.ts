// The web UI's monitor, upload/download and alternate trace views in a real browser (playwright-core +
// Debian chromium) against the real query handler over a MemoryStore.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
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
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

const XSS = '<img src=x onerror=alert(1)>';
const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const TRACE2_ID = '5bf92f3577b34da6a3ce929d0e0e4737';
const MS = 1_000_000n;
const T0 = BigInt(Date.now() - 5 * 60_000) * MS;
const sid = (n: number) => n.toString(16).padStart(16, '0');
const at = (ms: number) => T0 + BigInt(Math.round(ms * 1000)) * 1000n;
const frontend = makeResource('frontend');
const customer = makeResource('customer');
const driver = makeResource('driver');
const SPANS: Span[] = [
  makeSpan({ traceId: TRACE_ID, spanId: sid(1), name: 'HTTP GET /dispatch', kind: SpanKind.SERVER, startTimeUnixNano: at(0), endTimeUnixNano: at(100), resource: frontend, attributes: [attr('note', XSS)] }),
  makeSpan({ traceId: TRACE_ID, spanId: sid(2), parentSpanId: sid(1), name: 'SQL SELECT', kind: SpanKind.CLIENT, startTimeUnixNano: at(10), endTimeUnixNano: at(30), resource: customer }),
  makeSpan({ traceId: TRACE_ID, spanId: sid(3), parentSpanId: sid(1), name: 'SQL SELECT', kind: SpanKind.CLIENT, startTimeUnixNano: at(30), endTimeUnixNano: at(40), resource: customer }),
  makeSpan({
    traceId: TRACE_ID, spanId: sid(4), parentSpanId: sid(1), name: 'FindNearest', kind: SpanKind.SERVER, startTimeUnixNano: at(45), endTimeUnixNano: at(90), resource: driver,
    status: { code: StatusCode.ERROR, message: 'no drivers nearby' },
  }),
  makeSpan({ traceId: TRACE2_ID, spanId: sid(0x11), name: 'Ping', kind: SpanKind.SERVER, startTimeUnixNano: at(200), endTimeUnixNano: at(210), resource: driver }),
];

// A wide trace past the raw-JSON view's 10,000-span cut: one root, 10,050 children in two services.
const WIDE_ID = '000000000000000000000000000a1de0';
const WIDE_N = 10_051;
const WIDE: Span[] = Array.from({ length: WIDE_N }, (_, i) =>
  makeSpan({ traceId: WIDE_ID, spanId: sid(0x100000 + i), parentSpanId: i ? sid(0x100000) : '', name: i ? `child-${i % 3}` : 'wide-root', startTimeUnixNano: at(i * 0.01), endTimeUnixNano: at(i * 0.01 + 1 + (i ? 0 : 200)), resource: i % 2 ? customer : driver }),
);

let server: Server | undefined;
let browser: Browser | undefined;
let base = '';
const pageErrors: string[] = [];
const dialogs: string[] = [];

before(async () => {
  if (!existsSync(join(uiDir, 'index.html'))) {
    const r = spawnSync('npm', ['run', 'build', '-w', '@ariadne/ui', '--silent'], { cwd: root, stdio: 'inherit' });
    assert.equal(r.status, 0, 'building the UI failed');
  }
  mkdirSync(artifacts, { recursive: true });
  const store = new MemoryStore();
  await store.writeSpans(SPANS);
  await store.writeSpans(WIDE);
  const handler = createQueryHandler({ store, uiDir });
  server = createServer((req, res) => handler(req, res));
  server.on('close', () => void store.close());
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', () => resolve()));
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
  assert.deepEqual(dialogs, [], 'no dialog was opened by hostile values');
});

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
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 }, acceptDownloads: true });
  page.setDefaultTimeout(15_000);
  page.on('dialog', (d) => {
    dialogs.push(d.message());
    void d.dismiss();
  });
  page.on('pageerror', (e) => pageErrors.push(e.message));
  return page;
}

test('monitor: pick a service, see rate / error / latency charts and the per-operation table', async (t) => {
  const page = await newPage(t);
  if (!page) return;
  try {
    await page.goto(base + '/search');
    await page.getByTestId('nav-monitor').click();
    await page.getByTestId('monitor-page').waitFor();
    assert.equal(new URL(page.url()).pathname, '/monitor');
    await page.getByTestId('empty').waitFor();
    const svc = page.getByTestId('monitor-service');
    await until(async () => (await svc.locator('option').allTextContents()).includes('driver'));
    await svc.selectOption('driver');
    const rows = page.getByTestId('monitor-op-row');
    await rows.first().waitFor();
    assert.equal(new URL(page.url()).searchParams.get('service'), 'driver');
    // two server operations: FindNearest (45 ms, error) and Ping (10 ms, ok)
    assert.deepEqual(await page.getByTestId('monitor-op-link').allTextContents(), ['FindNearest', 'Ping']);
    assert.deepEqual(await page.getByTestId('op-error-rate').allTextContents(), ['100%', '0%']);
    assert.deepEqual(await page.getByTestId('op-p50').allTextContents(), ['45ms', '10ms']);
    assert.deepEqual(await page.getByTestId('op-p95').allTextContents(), ['45ms', '10ms']);
    assert.deepEqual(await page.getByTestId('op-p99').allTextContents(), ['45ms', '10ms']);
    // the charts are drawn from the series: latency has three lines (p50/p95/p99); the axis maximum is text
    for (const id of ['chart-rate', 'chart-errors', 'chart-latency']) await page.getByTestId(id).locator('svg').waitFor();
    assert.equal(await page.getByTestId('chart-latency').getByTestId('chart-line').count(), 3);
    // service-level p99 over both operations (45 and 10 ms in the same window): at most 45 ms
    const maxLatency = (await page.getByTestId('chart-latency').getByTestId('chart-max').textContent()) ?? '';
    assert.match(maxLatency, /^(4\d(\.\d+)?)ms$/);
    assert.equal(await page.getByTestId('chart-errors').getByTestId('chart-max').textContent(), '50%');
    await page.screenshot({ path: join(artifacts, 'ui-monitor.png'), fullPage: true });

    // span kind: customer has only client spans; none of kind server
    await svc.selectOption('customer');
    await page.getByTestId('empty').waitFor();
    assert.match((await page.getByTestId('empty').textContent()) ?? '', /No server spans of customer/);
    await page.getByTestId('monitor-kind').selectOption('client');
    await until(async () => (await page.getByTestId('monitor-op-link').allTextContents()).join() === 'SQL SELECT');
    assert.equal(new URL(page.url()).searchParams.get('spanKind'), 'client');
    // two calls of 20 and 10 ms in one window: p50 15 ms (linear interpolation), p99 19.9 ms
    assert.deepEqual(await page.getByTestId('op-p50').allTextContents(), ['15ms']);
    assert.deepEqual(await page.getByTestId('op-p99').allTextContents(), ['19.9ms']);
    await page.getByTestId('monitor-kind').selectOption('server');
    await svc.selectOption('driver');
    await until(async () => (await page.getByTestId('monitor-op-link').allTextContents()).join() === 'FindNearest,Ping');

    // an operation opens the search for that service + operation
    await page.getByTestId('monitor-op-link').first().click();
    await until(async () => new URL(page.url()).pathname === '/search');
    const u = new URL(page.url());
    assert.equal(u.searchParams.get('service'), 'driver');
    assert.equal(u.searchParams.get('operation'), 'FindNearest');
    assert.deepEqual(pageErrors, []);
  } finally {
    await page.close();
  }
});

test('download the open trace as Jaeger JSON and OTLP JSON, then upload both files (and drop one) to view them unstored', async (t) => {
  const page = await newPage(t);
  if (!page) return;
  try {
    await page.goto(base + '/trace/' + TRACE_ID);
    await page.getByTestId('trace-span-count').waitFor();
    const [jd] = await Promise.all([page.waitForEvent('download'), page.getByTestId('download-jaeger').click()]);
    assert.equal(jd.suggestedFilename(), `trace-${TRACE_ID}.json`);
    const jaegerPath = join(artifacts, 'ui-download.json');
    await jd.saveAs(jaegerPath);
    const jaeger = JSON.parse(readFileSync(jaegerPath, 'utf8'));
    assert.equal(jaeger.data[0].traceID, TRACE_ID);
    assert.equal(jaeger.data[0].spans.length, 4);
    assert.ok(jaeger.data[0].spans.some((s: { tags: { key: string; value: unknown }[] }) => s.tags.some((x) => x.key === 'note' && x.value === XSS)));

    const [od] = await Promise.all([page.waitForEvent('download'), page.getByTestId('download-otlp').click()]);
    assert.equal(od.suggestedFilename(), `trace-${TRACE_ID}.otlp.json`);
    const otlpPath = join(artifacts, 'ui-download.otlp.json');
    await od.saveAs(otlpPath);
    const otlpText = readFileSync(otlpPath, 'utf8');
    const otlp = JSON.parse(otlpText);
    const services = otlp.resourceSpans.map((r: { resource: { attributes: { key: string; value: { stringValue: string } }[] } }) =>
      r.resource.attributes.find((a) => a.key === 'service.name')?.value.stringValue);
    assert.deepEqual([...services].sort(), ['customer', 'driver', 'frontend']);

    // upload the Jaeger JSON file: viewed client-side
    await page.getByTestId('nav-upload').click();
    await page.getByTestId('upload-page').waitFor();
    await page.getByTestId('upload-input').setInputFiles(jaegerPath);
    await page.getByTestId('trace-page').waitFor();
    assert.equal(await page.getByTestId('trace-span-count').textContent(), '4');
    assert.equal(await page.getByTestId('trace-title').textContent(), 'frontend: HTTP GET /dispatch');
    assert.equal(await page.getByTestId('trace-id').textContent(), TRACE_ID);
    assert.equal(await page.getByTestId('download-otlp').count(), 0, 'an unstored trace has no server-side OTLP download');
    await page.getByText('FindNearest').first().click();
    await page.getByTestId('span-detail').waitFor();
    assert.equal(await page.getByTestId('detail-operation').textContent(), 'FindNearest');

    // an OTLP file with a trace id the store does not know: converted by /api/transform, shown, not stored
    const NEW_ID = 'abcdef0123456789abcdef0123456789';
    const otlpNewPath = join(artifacts, 'ui-upload-new.otlp.json');
    writeFileSync(otlpNewPath, otlpText.replaceAll(TRACE_ID, NEW_ID));
    await page.getByTestId('upload-input').setInputFiles(otlpNewPath);
    await until(async () => (await page.getByTestId('trace-id').textContent()) === NEW_ID);
    assert.equal(await page.getByTestId('trace-span-count').textContent(), '4');
    assert.equal(await page.getByTestId('trace-service-count').textContent(), '3');
    assert.match((await page.getByTestId('upload-list').textContent()) ?? '', /ui-upload-new\.otlp\.json: 1 trace/);
    const stored = await page.evaluate(async (id) => (await fetch('/api/traces/' + id)).status, NEW_ID);
    assert.equal(stored, 404, 'the uploaded trace was not stored');
    // the hostile tag value stays text
    await page.screenshot({ path: join(artifacts, 'ui-upload.png'), fullPage: true });

    // drag and drop a file onto the drop zone
    const dt = await page.evaluateHandle((text) => {
      const d = new DataTransfer();
      d.items.add(new File([text], 'dropped.json', { type: 'application/json' }));
      return d;
    }, readFileSync(jaegerPath, 'utf8'));
    await page.getByTestId('upload-drop').dispatchEvent('drop', { dataTransfer: dt });
    await until(async () => /dropped\.json: 1 trace/.test((await page.getByTestId('upload-list').textContent()) ?? ''));
    assert.equal(await page.getByTestId('trace-id').textContent(), TRACE_ID);

    // a file that is not a trace is reported as text
    const badPath = join(artifacts, 'ui-upload-bad.json');
    writeFileSync(badPath, JSON.stringify({ hello: XSS }));
    await page.getByTestId('upload-input').setInputFiles(badPath);
    const err = page.getByTestId('error');
    await err.waitFor();
    assert.match((await err.textContent()) ?? '', /not a trace file/);
    assert.deepEqual(pageErrors, []);
  } finally {
    await page.close();
  }
});

test('trace view tabs: statistics (server and local agree), graph with call counts, raw JSON; self time in span details', async (t) => {
  const page = await newPage(t);
  if (!page) return;
  try {
    await page.goto(base + '/trace/' + TRACE_ID);
    await page.getByTestId('trace-tabs').waitFor();
    // self time in span details: the root spends 100 ms minus its children's 10–40 and 45–90 ms
    await page.getByTestId('span-row').nth(0).click();
    assert.equal(await page.getByTestId('detail-self-time').textContent(), '25ms');

    const expected = [
      ['customer', 'SQL SELECT', '2', '0', '30ms', '30ms', '10ms', '15ms', '20ms', '15ms'],
      ['driver', 'FindNearest', '1', '1', '45ms', '45ms', '45ms', '45ms', '45ms', '45ms'],
      ['frontend', 'HTTP GET /dispatch', '1', '0', '100ms', '25ms', '100ms', '100ms', '100ms', '25ms'],
    ];
    const readStats = async () => {
      const rows = page.getByTestId('stats-row');
      await rows.first().waitFor();
      const out: string[][] = [];
      for (let i = 0; i < (await rows.count()); i++) out.push((await rows.nth(i).locator('td').allTextContents()).map((s) => s.trim()));
      return out;
    };
    await page.getByTestId('tab-stats').click();
    assert.deepEqual(await readStats(), expected);
    // sorting by total puts the longest first
    await page.getByTestId('stats-sort-total').click();
    assert.deepEqual((await readStats()).map((r) => r[1]), ['HTTP GET /dispatch', 'FindNearest', 'SQL SELECT']);
    await page.screenshot({ path: join(artifacts, 'ui-trace-stats.png'), fullPage: true });

    await page.getByTestId('tab-graph').click();
    await page.getByTestId('trace-graph').waitFor();
    assert.equal(await page.getByTestId('graph-node').count(), 3);
    const edges: string[][] = [];
    const rows = page.getByTestId('graph-row');
    for (let i = 0; i < (await rows.count()); i++) edges.push(await rows.nth(i).locator('td').allTextContents());
    assert.deepEqual(edges.sort(), [
      ['frontend: HTTP GET /dispatch', 'customer: SQL SELECT', '2'],
      ['frontend: HTTP GET /dispatch', 'driver: FindNearest', '1'],
    ]);
    assert.deepEqual((await page.getByTestId('graph-edge-count').allTextContents()).sort(), ['1', '2']);
    await page.screenshot({ path: join(artifacts, 'ui-trace-graph.png'), fullPage: true });

    await page.getByTestId('tab-json').click();
    const raw = JSON.parse((await page.getByTestId('trace-json-text').textContent()) ?? '');
    assert.equal(raw.traceID, TRACE_ID);
    assert.equal(raw.spans.length, 4);
    assert.equal(await page.getByTestId('trace-json').locator('img').count(), 0, 'hostile tag value is text');
    assert.match((await page.getByTestId('trace-json-text').textContent()) ?? '', /<img src=x onerror=alert\(1\)>/);

    // back to the timeline
    await page.getByTestId('tab-timeline').click();
    await page.getByText('FindNearest').first().waitFor();

    // an uploaded (unstored) trace computes the same statistics in the browser
    const [jd] = await Promise.all([page.waitForEvent('download'), page.getByTestId('download-jaeger').click()]);
    const p = join(artifacts, 'ui-download-2.json');
    await jd.saveAs(p);
    await page.goto(base + '/upload');
    await page.getByTestId('upload-input').setInputFiles(p);
    await page.getByTestId('tab-stats').click();
    assert.deepEqual(await readStats(), expected);
    assert.deepEqual(pageErrors, []);
  } finally {
    await page.close();
  }
});

test('a 10,051-span trace: raw JSON shows the first 10,000 spans with a note; the graph folds spans into service/operation nodes', async (t) => {
  const page = await newPage(t);
  if (!page) return;
  try {
    await page.goto(base + '/trace/' + WIDE_ID);
    await page.getByTestId('span-row').first().waitFor();
    await page.getByTestId('tab-json').click();
    assert.equal(await page.getByTestId('trace-json-note').textContent(), 'Showing the first 10,000 of 10,051 spans; Download JSON saves them all.');
    const raw = JSON.parse((await page.getByTestId('trace-json-text').textContent()) ?? '');
    assert.equal(raw.spans.length, 10_000);
    await page.getByTestId('tab-graph').click();
    await page.getByTestId('graph-node').first().waitFor();
    // root + child-0/1/2 in each of two services (i % 2 and i % 3 cycle independently) = 7 nodes, 6 edges summing to 10,050 calls
    assert.equal(await page.getByTestId('graph-node').count(), 7);
    const counts = (await page.getByTestId('graph-edge-count').allTextContents()).map(Number);
    assert.equal(counts.length, 6);
    assert.equal(counts.reduce((a, b) => a + b, 0), WIDE_N - 1);
    await page.getByTestId('tab-stats').click();
    await page.getByTestId('stats-row').first().waitFor();
    assert.equal(await page.getByTestId('stats-row').count(), 7);
    assert.deepEqual(pageErrors, []);
  } finally {
    await page.close();
  }
});
