// The web UI in a real browser: custom search time range (and later additions).
// Drives Debian's chromium through playwright-core against the real query handler over a MemoryStore.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { makeResource, makeSpan, SpanKind, StatusCode, type Span } from '@ariadne/model';
import { MemoryStore } from '@ariadne/storage';
import { createQueryHandler } from '@ariadne/query';

const root = fileURLToPath(new URL('../..', import.meta.url));
const uiDir = join(root, 'packages/ui/dist');
const CHROMIUM = process.env.ARIADNE_CHROMIUM ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

const TRACE_ID = '5bf92f3577b34da6a3ce929d0e0e4737';
const OTHER_TRACE_ID = 'abcdef0123456789abcdef0123456789';
const MS = 1_000_000n; // ns
const T0_MS = Date.now() - 5 * 60_000; // five minutes ago
const T0 = BigInt(T0_MS) * MS;
const sid = (n: number) => n.toString(16).padStart(16, '0');
const at = (ms: number) => T0 + BigInt(Math.round(ms * 1000)) * 1000n;
const frontend = makeResource('frontend');
const backend = makeResource('backend');
const SPANS: Span[] = [
  makeSpan({ traceId: TRACE_ID, spanId: sid(1), name: 'GET /', kind: SpanKind.SERVER, startTimeUnixNano: at(0), endTimeUnixNano: at(100), resource: frontend }),
  makeSpan({ traceId: TRACE_ID, spanId: sid(2), parentSpanId: sid(1), name: 'query', kind: SpanKind.CLIENT, startTimeUnixNano: at(10), endTimeUnixNano: at(30), resource: backend }),
  makeSpan({ traceId: TRACE_ID, spanId: sid(3), parentSpanId: sid(1), name: 'render', kind: SpanKind.CLIENT, startTimeUnixNano: at(50), endTimeUnixNano: at(80), resource: backend, status: { code: StatusCode.ERROR, message: 'boom' },
    links: [
      { traceId: TRACE_ID, spanId: sid(2), traceState: '', flags: 0, attributes: [], droppedAttributesCount: 0, refType: 'FOLLOWS_FROM' },
      { traceId: OTHER_TRACE_ID, spanId: sid(9), traceState: '', flags: 0, attributes: [], droppedAttributesCount: 0, refType: 'FOLLOWS_FROM' },
    ] }),
];

const apiRequests: string[] = [];
let server: Server | undefined;
let browser: Browser | undefined;
let base = '';

before(async () => {
  if (!existsSync(join(uiDir, 'index.html'))) {
    const r = spawnSync('npm', ['run', 'build', '-w', '@ariadne/ui', '--silent'], { cwd: root, stdio: 'inherit' });
    assert.equal(r.status, 0, 'building the UI failed');
  }
  const store = new MemoryStore();
  await store.writeSpans(SPANS);
  const handler = createQueryHandler({ store, uiDir });
  server = createServer((req, res) => {
    if (req.url?.startsWith('/api/')) apiRequests.push(req.url);
    handler(req, res);
  });
  server.on('close', () => void store.close());
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', () => resolve()));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  if (!existsSync(CHROMIUM)) {
    if (process.env.CI) throw new Error(`chromium not found at ${CHROMIUM}`);
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
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 }, timezoneId: 'UTC' });
  page.setDefaultTimeout(15_000);
  return page;
}

/** A `datetime-local` value in UTC (the page's time zone here), seconds precision. */
const localInput = (ms: number) => new Date(ms).toISOString().slice(0, 19);

test('search with a custom time range: start/end in µs sent and kept in the URL', async (t) => {
  const page = await newPage(t);
  if (!page) return;
  try {
    await page.goto(base + '/search?service=frontend&lookback=1h&limit=20');
    await page.getByTestId('trace-result').waitFor();
    assert.equal(await page.getByTestId('custom-range').count(), 0);

    // a range that ends before the trace: nothing found
    await page.getByTestId('lookback-select').selectOption('custom');
    await page.getByTestId('custom-range').waitFor();
    const exStart = Math.floor(T0_MS / 1000) * 1000 - 3_600_000;
    const exEnd = Math.floor(T0_MS / 1000) * 1000 - 1_800_000;
    await page.getByTestId('custom-start').fill(localInput(exStart));
    await page.getByTestId('custom-end').fill(localInput(exEnd));
    await page.getByTestId('search-submit').click();
    await page.getByTestId('empty').waitFor();
    assert.match((await page.getByTestId('search-results').textContent()) ?? '', /No traces found/);
    let u = new URL(page.url());
    assert.equal(u.searchParams.get('lookback'), 'custom');
    assert.equal(u.searchParams.get('start'), String(exStart * 1000));
    assert.equal(u.searchParams.get('end'), String(exEnd * 1000));
    let sent = new URLSearchParams((apiRequests.filter((r) => r.startsWith('/api/traces?')).at(-1) ?? '').split('?')[1]);
    assert.equal(sent.get('start'), String(exStart * 1000));
    assert.equal(sent.get('end'), String(exEnd * 1000));
    // the form is restored from the URL
    assert.equal(await page.getByTestId('custom-start').inputValue(), localInput(exStart));
    assert.equal(await page.getByTestId('custom-end').inputValue(), localInput(exEnd));

    // a range around the trace finds it
    const inStart = Math.floor(T0_MS / 1000) * 1000 - 60_000;
    const inEnd = Math.floor(T0_MS / 1000) * 1000 + 60_000;
    await page.getByTestId('custom-start').fill(localInput(inStart));
    await page.getByTestId('custom-end').fill(localInput(inEnd));
    await page.getByTestId('search-submit').click();
    const result = page.getByTestId('trace-result');
    await result.waitFor();
    assert.equal(await result.count(), 1);
    assert.equal(await result.getAttribute('data-trace-id'), TRACE_ID);
    u = new URL(page.url());
    assert.equal(u.searchParams.get('start'), String(inStart * 1000));
    assert.equal(u.searchParams.get('end'), String(inEnd * 1000));
    sent = new URLSearchParams((apiRequests.filter((r) => r.startsWith('/api/traces?')).at(-1) ?? '').split('?')[1]);
    assert.equal(sent.get('lookback'), 'custom');
    assert.equal(sent.get('start'), String(inStart * 1000));

    // start after end is refused in the form
    await page.getByTestId('custom-start').fill(localInput(inEnd));
    await page.getByTestId('custom-end').fill(localInput(inStart));
    await page.getByTestId('search-submit').click();
    assert.match((await page.getByTestId('form-error').textContent()) ?? '', /start is after the end/);
  } finally {
    await page.close();
  }
});

test('timeline marks the idle gaps (self time) on each parent bar', async (t) => {
  const page = await newPage(t);
  if (!page) return;
  try {
    await page.goto(base + '/trace/' + TRACE_ID);
    await page.getByTestId('span-row').first().waitFor();
    // GET / (0–100 ms) has children at 10–30 and 50–80 ms: idle 0–10, 30–50, 80–100 ms
    const root = page.locator(`[data-testid=span-row][data-span-id="${sid(1)}"]`);
    const gaps = root.getByTestId('idle-gap');
    assert.equal(await gaps.count(), 3);
    const got = await gaps.evaluateAll((els) =>
      els.map((e) => [e.getAttribute('data-start'), e.getAttribute('data-end'), (e as HTMLElement).style.left, (e as HTMLElement).style.width]),
    );
    assert.deepEqual(got, [
      ['0', '10000', '0%', '10%'],
      ['30000', '50000', '30%', '20%'],
      ['80000', '100000', '80%', '20%'],
    ]);
    assert.equal(await gaps.nth(1).getAttribute('title'), 'idle (self time): 20ms');
    // leaves have no gaps
    for (const id of [sid(2), sid(3)]) {
      assert.equal(await page.locator(`[data-testid=span-row][data-span-id="${id}"]`).getByTestId('idle-gap').count(), 0);
    }
  } finally {
    await page.close();
  }
});

test('dependencies: call counts and error rates on edges; a node opens its deep dependency graph', async (t) => {
  const page = await newPage(t);
  if (!page) return;
  try {
    const deps = (await (await fetch(base + '/api/dependencies')).json()) as { data: unknown };
    assert.deepEqual(deps.data, [{ parent: 'frontend', child: 'backend', callCount: 2, errorCount: 1 }]);
    await page.goto(base + '/dependencies');
    const edge = page.locator('[data-testid=deps-edge][data-parent=frontend][data-child=backend]');
    await edge.waitFor();
    assert.equal(await edge.getByTestId('deps-edge-label').textContent(), '2 calls · 50% errors');
    assert.equal(await page.getByTestId('deep-deps').count(), 0);

    await page.locator('[data-testid=deps-node][data-service=backend]').click();
    await page.locator('[data-testid=deep-deps][data-service=backend]').waitFor();
    assert.equal(new URL(page.url()).searchParams.get('focal'), 'backend');
    await page.getByTestId('deep-node').first().waitFor();
    const nodes = await page.getByTestId('deep-node').evaluateAll((els) => els.map((e) => [e.getAttribute('data-distance'), e.querySelector('.deep-node-label')?.textContent]));
    assert.deepEqual(nodes, [['-1', 'frontend: GET /'], ['0', 'backend: query'], ['0', 'backend: render']]);
    const edges = (await page.getByTestId('deep-edge').allInnerTexts()).map((r) => r.split('\t').map((c) => c.trim()));
    assert.deepEqual(edges, [
      ['frontend: GET /', 'backend: query', '0', '1'],
      ['frontend: GET /', 'backend: render', '0', '1'],
    ]);
    assert.equal(await page.getByTestId('deep-trace-count').textContent(), '1 trace');
    assert.ok(apiRequests.some((r) => r.startsWith('/api/analytics/deep-dependencies?service=backend')));
  } finally {
    await page.close();
  }
});

test('span details: references are clickable and jump to (scroll to, select) the referenced span', async (t) => {
  const page = await newPage(t);
  if (!page) return;
  try {
    await page.setViewportSize({ width: 1400, height: 500 });
    await page.goto(base + '/trace/' + TRACE_ID);
    const row = (id: string) => page.locator(`[data-testid=span-row][data-span-id="${id}"]`);
    await row(sid(3)).click();
    const detail = page.locator(`[data-testid=span-detail][data-span-id="${sid(3)}"]`);
    await detail.waitFor();
    assert.equal(await row(sid(3)).getAttribute('data-selected'), 'true');
    const links = detail.getByTestId('reference-link');
    // the parent (CHILD_OF) and both links
    assert.deepEqual(await links.evaluateAll((els) => els.map((e) => e.getAttribute('data-span-id'))), [sid(1), sid(2), sid(9)]);
    const toQuery = detail.locator(`[data-testid=reference-link][data-span-id="${sid(2)}"]`);
    assert.equal(await toQuery.textContent(), `backend: query ${sid(2)}`);
    // a link into another trace opens that trace at the span
    assert.equal(await links.nth(2).getAttribute('href'), `/trace/${OTHER_TRACE_ID}?uiFind=${sid(9)}`);

    await page.evaluate(() => window.scrollTo(0, document.body.scrollHeight));
    await toQuery.click();
    await page.locator(`[data-testid=span-detail][data-span-id="${sid(2)}"]`).waitFor();
    assert.equal(await row(sid(2)).getAttribute('data-selected'), 'true');
    assert.equal(await row(sid(3)).getAttribute('data-selected'), null);
    assert.equal(await page.locator('[data-testid=span-row][data-selected=true]').count(), 1);
    // scrolled into view
    const box = await row(sid(2)).boundingBox();
    assert.ok(box && box.y >= 0 && box.y + box.height <= 500, `row in view: ${JSON.stringify(box)}`);
  } finally {
    await page.close();
  }
});
