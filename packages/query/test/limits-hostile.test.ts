/**
 * The trace-size limit of the query API: a trace with more spans than `maxTraceSpans` is answered
 * (200) with its first spans by start time and a warning saying it was cut, on every API that
 * returns traces; smaller traces are untouched.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { makeResource, makeSpan, type Span } from '@ariadne/model';
import { MemoryStore } from '@ariadne/storage';
import { createQueryHandler, limitTraceSpans } from '../src/index.js';

const BIG = 'b16b16b16b16b16b16b16b16b16b16b1';
const SMALL = '5a11005a11005a11005a11005a110000';
const t0 = BigInt(Date.now() - 60_000) * 1_000_000n;
const res = makeResource('big-svc');
const sid = (n: number) => n.toString(16).padStart(16, '0');
const make = (traceId: string, n: number): Span[] =>
  Array.from({ length: n }, (_, i) => makeSpan({ traceId, spanId: sid(i + 1), parentSpanId: i ? sid(1) : '', name: `op-${i}`, startTimeUnixNano: t0 + BigInt(i) * 1000n, endTimeUnixNano: t0 + BigInt(i) * 1000n + 500n, resource: res }));

let server: Server;
let base = '';
const store = new MemoryStore();
before(async () => {
  await store.writeSpans(make(BIG, 50));
  await store.writeSpans(make(SMALL, 5));
  server = createServer(createQueryHandler({ store, maxTraceSpans: 10 }));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(async () => {
  await new Promise<void>((r) => server.close(() => r()));
  await store.close();
});

const get = async (p: string) => {
  const r = await fetch(base + p);
  return { status: r.status, body: await r.json() };
};

test('Jaeger API: a trace over the limit → its first spans and a warning; a small one is whole', async () => {
  const r = await get(`/api/traces/${BIG}`);
  assert.equal(r.status, 200);
  const spans = r.body.data[0].spans as Array<{ operationName: string; warnings: string[] | null }>;
  assert.equal(spans.length, 10);
  assert.deepEqual(spans.map((s) => s.operationName).sort(), Array.from({ length: 10 }, (_, i) => `op-${i}`).sort());
  const warned = spans.filter((s) => s.warnings?.some((w) => /trace truncated: 50 spans stored, only the first 10/.test(w)));
  assert.equal(warned.length, 1);
  assert.equal((await get(`/api/traces/${SMALL}`)).body.data[0].spans.length, 5);
  const search = await get('/api/traces?service=big-svc&lookback=1h');
  const big = search.body.data.find((t: { traceID: string }) => t.traceID === BIG);
  assert.equal(big.spans.length, 10);
});

test('api_v3, Zipkin and analytics are limited the same way', async () => {
  const v3 = await get(`/api/v3/traces/${BIG}`);
  assert.equal(v3.status, 200);
  assert.equal(JSON.stringify(v3.body).match(/"spanId"/g)?.length, 10);
  const zk = await get(`/zipkin/api/v2/trace/${BIG}`);
  assert.equal(zk.body.length, 10);
  assert.equal((await get(`/api/analytics/traces/${BIG}/stats`)).status, 200);
});

test('limitTraceSpans leaves the stored spans untouched', () => {
  const spans = make(BIG, 3);
  const cut = limitTraceSpans(spans, 2);
  assert.equal(cut.length, 2);
  assert.equal(cut[0].warnings.length, 1);
  assert.equal(spans[0].warnings.length, 0, 'the original span is not modified');
  assert.equal(limitTraceSpans(spans, 3), spans);
});
