/**
 * Property-based fuzzing of the query API's parameters, over a real HTTP server and real stores
 * (memory and a DuckDB file): random combinations of every parameter name the API reads, with
 * hostile values (huge and negative numbers, malformed JSON, SQL and regex metacharacters,
 * prototype-named keys, control and astral characters, very long strings), on every endpoint.
 * Every answer is 2xx, or a 4xx with a message, never a 5xx; the server keeps answering; no
 * object prototype changes. POST /api/transform gets random bodies too.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { attr, makeResource, makeSpan, SpanKind, StatusCode, type Span } from '@ariadne/model';
import { openStore, type SpanStore } from '@ariadne/storage';
import { createQueryHandler } from '../src/index.js';

const RUNS = Number(process.env.FUZZ_RUNS ?? 250);
const TRACE = '0af7651916cd43dd8448eb211c80319c';
const now = BigInt(Date.now()) * 1_000_000n;
const SPANS: Span[] = [
  makeSpan({ traceId: TRACE, spanId: '00000000000000a1', name: 'GET /x', kind: SpanKind.SERVER, startTimeUnixNano: now - 10_000_000_000n, endTimeUnixNano: now - 9_000_000_000n, resource: makeResource('frontend'), attributes: [attr('__proto__', 'p'), attr('constructor', 'c'), attr('http.status_code', 500)], status: { code: StatusCode.ERROR, message: 'boom' } }),
  makeSpan({ traceId: TRACE, spanId: '00000000000000a2', parentSpanId: '00000000000000a1', name: "SELECT ' OR 1=1", kind: SpanKind.CLIENT, startTimeUnixNano: now - 9_900_000_000n, endTimeUnixNano: now - 9_500_000_000n, resource: makeResource("db'; DROP TABLE spans; --"), attributes: [attr('db.statement', "'; DROP TABLE spans; --")] }),
];

const ENDPOINTS = [
  '/api/services', '/api/services/frontend/operations', '/api/services/%27%3B%20DROP/operations', '/api/operations', '/api/traces', `/api/traces/${TRACE}`, '/api/traces/zz',
  '/api/dependencies', '/api/metrics/latencies', '/api/metrics/calls', '/api/metrics/errors', '/api/metrics/minstep',
  `/api/analytics/traces/${TRACE}/critical-path`, `/api/analytics/traces/${TRACE}/self-time`, `/api/analytics/traces/${TRACE}/stats`, '/api/analytics/stats', '/api/analytics/compare', '/api/analytics/deep-dependencies',
  '/api/v3/services', '/api/v3/operations', '/api/v3/traces', `/api/v3/traces/${TRACE}`, '/api/v3/trace-summaries',
  '/zipkin/api/v2/services', '/zipkin/api/v2/spans', '/zipkin/api/v2/remoteServices', '/zipkin/api/v2/traces', `/zipkin/api/v2/trace/${TRACE}`, '/zipkin/api/v2/traceMany',
  '/zipkin/api/v2/dependencies', '/zipkin/api/v2/autocompleteKeys', '/zipkin/api/v2/autocompleteValues', '/api/nope', '/api/',
];
const PARAMS = [
  'service', 'operation', 'tags', 'tag', 'start', 'end', 'limit', 'lookback', 'minDuration', 'maxDuration', 'traceID', 'spanKind', 'endTs', 'step', 'ratePer', 'quantile',
  'groupByOperation', 'raw', 'prettyPrint', 'query.service_name', 'query.operation_name', 'query.attributes', 'query.start_time_min', 'query.start_time_max',
  'query.duration_min', 'query.duration_max', 'query.num_traces', 'query.search_depth', 'serviceName', 'spanName', 'annotationQuery', 'remoteServiceName', 'traceIds',
  'key', 'span_kind', 'raw_traces', 'traceA', 'traceB', 'a', 'b', '__proto__', 'constructor',
];
const hostileValue = fc.oneof(
  fc.string({ maxLength: 30 }),
  fc.string({ unit: 'binary', maxLength: 30 }),
  fc.constantFrom(
    '', '0', '-1', '1e400', '9'.repeat(40), '-9223372036854775809', '18446744073709551616', 'NaN', 'Infinity', '0x10', '1.5', '1h', '-1h', '10000000h', '1ns', '5µs', '1e3ms',
    'frontend', TRACE, TRACE.slice(0, 16), '0'.repeat(32), 'g'.repeat(32), `${TRACE},${TRACE}`,
    '{}', '[]', 'null', '{"__proto__":{"polluted":1}}', '{"constructor":{"prototype":{"polluted":1}}}', '{"a":{"~":"(a+)+$"}}', '{"a":{"~":"["}}', '{"a":{">":"x"}}',
    '{"error":"true"}', '{"http.status_code":{">=":500}}', '{"a":{"nope":1}}', '{"a":', '"str"', '__proto__:x', 'constructor:prototype', 'a:b', ':', 'error=true',
    "' OR '1'='1", "'; DROP TABLE spans; --", '\\', '%', '_', '*', '$(whoami)', '\u0000', '\u202e', '\ud83d\ude00', '\ud800', 'x'.repeat(10_000),
    'server', 'client', 'unspecified', 'SPAN_KIND_SERVER', 'true', 'false', '0.5', '0.95', '2', '-0.1',
    '2024-01-01T00:00:00Z', '2024-13-45T99:99:99Z', 'http.method=GET and error', 'error and http.status_code=500',
  ),
);
const query = fc.array(fc.tuple(fc.constantFrom(...PARAMS), hostileValue), { maxLength: 6 });

function prototypesIntact(): void {
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
  assert.equal(Object.keys(Object.prototype).length, 0);
}

for (const backend of ['memory', 'duckdb'] as const) {
  describe(`query parameters fuzzed, ${backend} store`, () => {
    let server: Server;
    let store: SpanStore;
    let base = '';
    let dir = '';
    const unexpected: unknown[] = [];
    before(async () => {
      dir = mkdtempSync(join(tmpdir(), 'ariadne-qfuzz-'));
      store = await openStore({ backend, dataDir: dir });
      await store.writeSpans(SPANS);
      const handler = createQueryHandler({ store, onError: (err) => unexpected.push(err) });
      server = createServer(handler);
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
      base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    after(async () => {
      await new Promise<void>((r) => server?.close(() => r()));
      await store?.close();
      rmSync(dir, { recursive: true, force: true });
    });

    test('every endpoint × random hostile parameters → 2xx, or 4xx with a message; never 5xx', async () => {
      const seen = new Map<number, number>();
      await fc.assert(
        fc.asyncProperty(fc.constantFrom(...ENDPOINTS), query, async (path, params) => {
          const qs = new URLSearchParams(params).toString();
          const res = await fetch(`${base}${path}${qs ? '?' + qs : ''}`);
          const body = await res.text();
          seen.set(res.status, (seen.get(res.status) ?? 0) + 1);
          assert.ok(res.status < 500, `${path}?${qs} → ${res.status} ${body.slice(0, 300)}`);
          if (res.status >= 400) assert.ok(body.trim().length > 0, `${path}?${qs} → ${res.status} without a message`);
        }),
        { numRuns: RUNS * 4 },
      );
      assert.deepEqual(unexpected, [], 'no request reached the unexpected-error path');
      assert.ok((seen.get(200) ?? 0) > 0 && (seen.get(400) ?? 0) > 0, `a mix of answers: ${JSON.stringify([...seen])}`);
      prototypesIntact();
    });

    test('raw hostile paths and query strings (bad percent-encoding, repeated keys, huge) → < 500', async () => {
      await fc.assert(
        fc.asyncProperty(fc.constantFrom(...ENDPOINTS), fc.string({ unit: 'binary-ascii', maxLength: 60 }), async (path, raw) => {
          const tail = encodeURI(raw).replace(/#/g, '%23');
          const res = await fetch(`${base}${path}?${tail}&${tail}`);
          await res.arrayBuffer();
          assert.ok(res.status < 500, `${path}?${tail} → ${res.status}`);
        }),
        { numRuns: RUNS },
      );
      for (const p of ['/api/traces/%E0%A4%A', '/api/services/%/operations', '/api/traces?service=%ZZ', `/api/traces?${'service=a&'.repeat(2000)}`, '/api/traces/' + 'a'.repeat(5000)]) {
        const res = await fetch(base + p);
        await res.arrayBuffer();
        assert.ok(res.status < 500, `${p.slice(0, 60)} → ${res.status}`);
      }
      assert.deepEqual(unexpected, []);
    });

    test('POST /api/transform with random bodies → 200 or 4xx', async () => {
      await fc.assert(
        fc.asyncProperty(fc.oneof(fc.json({ maxDepth: 4 }), fc.string({ maxLength: 200 }), fc.constantFrom('{"resourceSpans":[{"__proto__":{"polluted":1}}]}', '{"resourceSpans":' + '['.repeat(5000))), async (body) => {
          const res = await fetch(`${base}/api/transform`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
          await res.arrayBuffer();
          assert.ok(res.status < 500, `${body.slice(0, 80)} → ${res.status}`);
        }),
        { numRuns: RUNS },
      );
      prototypesIntact();
    });

    test('the stored data is intact after the fuzzing', async () => {
      assert.deepEqual((await store.getTrace(TRACE)).length, 2);
      assert.deepEqual((await store.getServices()).sort(), ["db'; DROP TABLE spans; --", 'frontend'].sort());
      const r = await fetch(`${base}/api/traces?service=frontend&tags=${encodeURIComponent('{"__proto__":"p"}')}`);
      assert.equal(r.status, 200);
      assert.equal((await r.json()).data.length, 1, 'a tag named __proto__ is searchable as data');
      const c = await fetch(`${base}/zipkin/api/v2/autocompleteValues?key=constructor`);
      assert.equal(c.status, 200);
    });
  });
}
