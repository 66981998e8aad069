import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeResource, makeSpan, SpanKind, StatusCode } from '@ariadne/model';
import type { Span } from '@ariadne/model';
import { DuckDBStore, MemoryStore } from '@ariadne/storage';
import { MS, startServer, T0 } from './helpers.js';
import type { TestServer } from './helpers.js';

// DuckDB computes RED metrics in SQL (capabilities.spanMetrics); the memory store has the query
// service aggregate whole traces (the reference, checked on known answers in metrics.test.ts).
// Both must answer every request alike, duplicates, gaps and odd windows included.

const MIN = 60_000n * MS;
let seed = 42;
const rand = (n: number) => {
  seed = (seed * 1103515245 + 12345) & 0x7fffffff;
  return seed % n;
};
const hex = (n: number, w: number) => n.toString(16).padStart(w, '0');
const SERVICES = ['api', 'db', 'web'].map((s) => makeResource(s));
const KINDS = [SpanKind.SERVER, SpanKind.SERVER, SpanKind.CLIENT, SpanKind.INTERNAL];

function data(): { first: Span[]; rewrites: Span[] } {
  const first: Span[] = [];
  for (let i = 0; i < 1500; i++) {
    const start = T0 + BigInt(rand(120 * 60_000)) * MS + BigInt(rand(1000));
    first.push(
      makeSpan({
        traceId: hex(1 + Math.floor(i / 3), 32),
        spanId: hex(i + 1, 16),
        name: `op-${rand(4)}`,
        kind: KINDS[rand(KINDS.length)],
        startTimeUnixNano: start,
        endTimeUnixNano: start + BigInt(1 + rand(500_000)) * 1000n,
        status: rand(7) === 0 ? { code: StatusCode.ERROR, message: '' } : { code: StatusCode.UNSET, message: '' },
        resource: SERVICES[rand(3)],
      }),
    );
  }
  // a span written again (a client retry) counts once, with the later write's values
  const rewrites = first.filter((_, i) => i % 10 === 0).map((s) => ({ ...s, endTimeUnixNano: s.endTimeUnixNano + 7n * MS, status: { code: StatusCode.ERROR, message: 'retry' } }));
  return { first, rewrites };
}

let dir: string;
let duck: DuckDBStore;
let mem: MemoryStore;
let a: TestServer;
let b: TestServer;
before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ariadne-metrics-duckdb-'));
  duck = await DuckDBStore.open({ dataDir: dir });
  mem = new MemoryStore();
  const { first, rewrites } = data();
  for (const st of [duck, mem]) {
    await st.writeSpans(first);
    await st.writeSpans(rewrites);
  }
  assert.equal(duck.capabilities.spanMetrics, true);
  a = await startServer({ store: mem, onError: () => {} });
  b = await startServer({ store: duck, onError: () => {} });
});
after(async () => {
  await a?.close();
  await b?.close();
  await mem?.close();
  await duck?.close();
  rmSync(dir, { recursive: true, force: true });
});

function close(x: any, y: any, path: string): void {
  assert.equal(y.name, x.name, path);
  assert.equal(y.metrics.length, x.metrics.length, path);
  x.metrics.forEach((m: any, i: number) => {
    const n = y.metrics[i];
    assert.deepEqual(n.labels, m.labels, path);
    assert.deepEqual(
      n.metricPoints.map((p: any) => p.timestamp),
      m.metricPoints.map((p: any) => p.timestamp),
      `${path} ${JSON.stringify(m.labels)}`,
    );
    m.metricPoints.forEach((p: any, j: number) => {
      const v = n.metricPoints[j].gaugeValue.doubleValue;
      assert.ok(Math.abs(v - p.gaugeValue.doubleValue) <= 1e-6 * Math.max(1, Math.abs(p.gaugeValue.doubleValue)), `${path} ${p.timestamp}: ${v} vs ${p.gaugeValue.doubleValue}`);
    });
  });
}

test('DuckDB SQL metrics equal the reference aggregation over every kind of window', async () => {
  const endTs = Number((T0 + 110n * MIN) / MS);
  const windows = [
    `endTs=${endTs}&lookback=3600000&step=60000&ratePer=600000`, // the monitor page's 1 h
    `endTs=${endTs}&lookback=5400000&step=90000&ratePer=90000`, // non-overlapping windows
    `endTs=${endTs}&lookback=3600000&step=600000&ratePer=120000`, // gaps between windows
    `endTs=${endTs}&lookback=3500000&step=700000&ratePer=1000000`, // ratePer not a multiple of step
    `endTs=${endTs}&lookback=3333333&step=77777&ratePer=600000`, // lookback not a multiple of step
    `endTs=${endTs}&lookback=7200000&step=5000&ratePer=600000`, // Jaeger's default step, 120 windows per span
  ];
  const variants = ['service=api', 'service=api,db&groupByOperation=true', 'service=web&spanKind=client', 'service=db&spanKind=server,internal&groupByOperation=true', 'service=nope'];
  let compared = 0;
  let points = 0;
  for (const w of windows) {
    for (const v of variants) {
      for (const kind of ['calls', 'errors', 'latencies?quantile=0.5', 'latencies?quantile=0.95', 'latencies?quantile=0.99', 'latencies?quantile=0', 'latencies?quantile=1']) {
        const path = `/api/metrics/${kind}${kind.includes('?') ? '&' : '?'}${v}&${w}`;
        const [x, y] = await Promise.all([a.get(path), b.get(path)]);
        assert.equal(x.status, 200, `${path}: ${x.text}`);
        assert.equal(y.status, 200, `${path}: ${y.text}`);
        close(x.json, y.json, path);
        compared++;
        points += x.json.metrics.reduce((n: number, m: any) => n + m.metricPoints.length, 0);
      }
    }
  }
  assert.equal(compared, windows.length * variants.length * 7);
  assert.ok(points > 10_000, `the comparison covered ${points} points`);
});

test('getSpanMetrics checks its arguments', async () => {
  const q = { services: ['api'], spanKinds: [SpanKind.SERVER], groupByOperation: false, firstPoint: T0, step: MIN, points: 10, ratePer: MIN, quantiles: [] };
  await assert.rejects(duck.getSpanMetrics({ ...q, step: 0n }), /step and ratePer must be positive/);
  await assert.rejects(duck.getSpanMetrics({ ...q, quantiles: [1.5] }), /quantiles/);
  await assert.rejects(duck.getSpanMetrics({ ...q, spanKinds: [9 as SpanKind] }), /SpanKind/);
  assert.deepEqual(await duck.getSpanMetrics({ ...q, services: [] }), []);
});
