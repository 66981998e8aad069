/**
 * UI benchmark: time until a large trace's timeline is interactive in headless chromium.
 *
 *   npm run build -w @ariadne/ui && node --conditions=source --import tsx bench/ui.bench.ts [--runs 5] [--sizes 10000,100000]
 *
 * Starts the real query handler over a MemoryStore holding one generated trace per size (fan-out 4,
 * 5 services, 3 attributes per span), then for each size opens `/trace/{id}` in a fresh browser
 * context and measures from navigation until the first rows are visible and a click on a row has
 * opened its details (fetch + JSON parse + tree model + first render + click). Median of N runs.
 */
import { existsSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';
import { attr, makeResource, makeSpan, SpanKind, StatusCode, type Span } from '@ariadne/model';
import { MemoryStore } from '@ariadne/storage';
import { createQueryHandler } from '@ariadne/query';

const { values: args } = parseArgs({
  options: {
    runs: { type: 'string', default: '5' },
    sizes: { type: 'string', default: '10000,100000' },
    chromium: { type: 'string', default: process.env.ARIADNE_CHROMIUM ?? '/usr/bin/chromium' },
  },
});
const RUNS = Number(args.runs);
const SIZES = args.sizes.split(',').map(Number);
const root = fileURLToPath(new URL('..', import.meta.url));
const uiDir = join(root, 'packages/ui/dist');
if (!existsSync(join(uiDir, 'index.html'))) throw new Error('build the UI first: npm run build -w @ariadne/ui');

const sid = (n: number) => n.toString(16).padStart(16, '0');
const resources = [0, 1, 2, 3, 4].map((i) => makeResource(`svc-${i}`, [attr('host.name', `host-${i}`)]));
const T0 = BigInt(Date.now() - 60_000) * 1_000_000n;

function genTrace(n: number, traceId: string): Span[] {
  const at = (us: number) => T0 + BigInt(Math.round(us)) * 1000n;
  return Array.from({ length: n }, (_, i) =>
    makeSpan({
      traceId,
      spanId: sid(i + 1),
      parentSpanId: i === 0 ? '' : sid(Math.floor((i - 1) / 4) + 1),
      name: `op-${i % 50}`,
      kind: i % 2 ? SpanKind.CLIENT : SpanKind.SERVER,
      startTimeUnixNano: at(i * 10),
      endTimeUnixNano: at(i * 10 + 1000 + (n - i) * 10),
      resource: resources[i % 5],
      attributes: [attr('i', i), attr('http.method', 'GET'), attr('http.url', `/api/item/${i}`)],
      ...(i % 97 === 0 ? { status: { code: StatusCode.ERROR, message: 'boom' } } : {}),
    }),
  );
}

const traceIds = new Map(SIZES.map((n) => [n, n.toString(16).padStart(32, '0')]));
const store = new MemoryStore();
for (const [n, id] of traceIds) await store.writeSpans(genTrace(n, id));
const handler = createQueryHandler({ store, uiDir });
const server = createServer((req, res) => handler(req, res));
await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

const browser = await chromium.launch({
  executablePath: args.chromium,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  timeout: 60_000,
});
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
try {
  console.log(`ui bench: ${RUNS} runs per size, headless chromium, fresh context per run`);
  for (const [n, id] of traceIds) {
    const times: number[] = [];
    const apiTimes: number[] = [];
    for (let r = 0; r < RUNS; r++) {
      const ctx = await browser.newContext({ viewport: { width: 1400, height: 900 } });
      const page = await ctx.newPage();
      page.setDefaultTimeout(120_000);
      try {
        const t0 = performance.now();
        await page.goto(`${base}/trace/${id}`, { waitUntil: 'commit' });
        const row = page.getByTestId('span-row').nth(1);
        await row.waitFor({ state: 'visible' });
        await row.click();
        await page.getByTestId('span-detail').waitFor({ state: 'visible' });
        const ms = performance.now() - t0;
        const rows = await page.getByTestId('span-row').count();
        // where the time went: the trace API response (server + transfer) vs the rest (parse, model, render, click)
        const api = await page.evaluate(() => {
          const e = performance.getEntriesByType('resource').find((x) => x.name.includes('/api/traces/')) as PerformanceResourceTiming | undefined;
          return e ? { ms: e.responseEnd - e.requestStart, bytes: e.encodedBodySize } : null;
        });
        if (api) apiTimes.push(api.ms);
        const total = await page.getByTestId('trace-span-count').textContent();
        if (Number(total) !== n) throw new Error(`expected ${n} spans, the page says ${total}`);
        times.push(ms);
        console.log(`  ${n} spans run ${r + 1}: ${ms.toFixed(0)} ms (${rows} rows in the DOM${api ? `; trace API ${api.ms.toFixed(0)} ms, ${(api.bytes / 1e6).toFixed(1)} MB` : ''})`);
      } finally {
        await ctx.close();
      }
    }
    console.log(`${n} spans: median ${median(times).toFixed(0)} ms, min ${Math.min(...times).toFixed(0)}, max ${Math.max(...times).toFixed(0)} (time to interactive timeline)${apiTimes.length ? `; of which the trace API response median ${median(apiTimes).toFixed(0)} ms` : ''}`);
  }
} finally {
  await browser.close().catch(() => {});
  await new Promise<void>((r) => server.close(() => r()));
  await store.close();
}
