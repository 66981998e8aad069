import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { makeResource, makeSpan } from '@ariadne/model';
import { decodeOtlpJson, encodeOtlpJson } from '@ariadne/codec';
import { MemoryStore } from '@ariadne/storage';
import { parseRfc3339 } from '../src/v3.js';
import { MS, NOW, sampleSpans, startServer, T0, TRACE_A, TRACE_B, TRACE_C } from './helpers.js';
import type { TestServer } from './helpers.js';

const TRACE_D = 'dddd0000000000000000000000000004';
/** D: "lonely" root [0,10ms] and an orphan (parent missing) [2,30ms] with status ERROR. */
const orphanTrace = [
  makeSpan({ traceId: TRACE_D, spanId: 'd000000000000001', name: 'root', startTimeUnixNano: T0, endTimeUnixNano: T0 + 10n * MS, resource: makeResource('lonely') }),
  makeSpan({
    traceId: TRACE_D,
    spanId: 'd000000000000002',
    parentSpanId: 'ffff000000000000',
    name: 'lost',
    startTimeUnixNano: T0 + 2n * MS,
    endTimeUnixNano: T0 + 30n * MS,
    status: { code: 2, message: '' },
    resource: makeResource('lonely'),
  }),
];

let srv: TestServer;
let store: MemoryStore;
before(async () => {
  store = new MemoryStore();
  await store.writeSpans([...sampleSpans(), ...orphanTrace]);
  srv = await startServer({ store, now: () => NOW, onError: () => {} });
});
after(async () => {
  await srv.close();
  await store.close();
});

async function get(path: string, status = 200) {
  const r = await srv.get(path);
  assert.equal(r.status, status, `${path}: ${r.text}`);
  return r.json;
}
const iso = (ns: bigint) => new Date(Number(ns / MS)).toISOString();
const spanIdsOf = (result: unknown) => decodeOtlpJson(result).map((s) => s.spanId).sort();

function post(path: string, body: string, method = 'POST') {
  return new Promise<{ status: number; json: any; headers: any }>((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: srv.port, path, method, headers: { 'content-type': 'application/json' }, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, json: JSON.parse(Buffer.concat(chunks).toString('utf8') || 'null') }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('api_v3', () => {
  test('RFC 3339 times with nanoseconds and offsets', () => {
    assert.equal(parseRfc3339('2023-11-14T22:13:20Z', 'x'), T0);
    assert.equal(parseRfc3339('2023-11-14T22:13:20.000000123Z', 'x'), T0 + 123n);
    assert.equal(parseRfc3339('2023-11-14T23:13:20.5+01:00', 'x'), T0 + 500n * MS);
    assert.throws(() => parseRfc3339('yesterday', 'x'), /RFC 3339/);
  });

  test('services and operations', async () => {
    assert.deepEqual(await get('/api/v3/services'), { services: ['backend', 'frontend', 'lonely', 'worker queue'] });
    assert.deepEqual(await get('/api/v3/operations?service=frontend&span_kind=server'), {
      operations: [
        { name: 'GET /dispatch', spanKind: 'server' },
        { name: 'GET /health', spanKind: 'server' },
      ],
    });
    const all = await get('/api/v3/operations?service=frontend');
    assert.equal(all.operations.length, 3);
    const e = await get('/api/v3/operations', 400);
    assert.equal(e.error.httpCode, 400);
    assert.match(e.error.message, /service/);
  });

  test('trace by id as OTLP JSON in result; 404 in the v3 error shape', async () => {
    const j = await get(`/api/v3/traces/${TRACE_A}`);
    assert.deepEqual(Object.keys(j), ['result']);
    assert.ok(Array.isArray(j.result.resourceSpans));
    assert.deepEqual(spanIdsOf(j.result), ['a000000000000001', 'a000000000000002', 'a000000000000003', 'a000000000000004']);
    const sql = decodeOtlpJson(j.result).find((s) => s.name === 'SQL SELECT')!;
    assert.equal(sql.status.code, 2);
    assert.equal(sql.startTimeUnixNano, T0 + 20n * MS);
    assert.equal(sql.resource.serviceName, 'backend');
    // a short 64-bit id and a time hint
    const b = await get(`/api/v3/traces/2165cd8171cef678?start_time=${iso(T0)}&end_time=${iso(NOW)}`);
    assert.deepEqual(spanIdsOf(b.result), ['2165cd8171cef678']);
    assert.deepEqual(await get('/api/v3/traces/0123456789abcdef', 404), { error: { httpCode: 404, message: 'trace not found' } });
    assert.equal((await get('/api/v3/traces/nothex', 400)).error.httpCode, 400);
  });

  test('search with query.* parameters', async () => {
    const ids = async (qs: string) => [...new Set(decodeOtlpJson((await get(`/api/v3/traces?${qs}`)).result).map((s) => s.traceId))].sort();
    assert.deepEqual(await ids('query.service_name=frontend'), [TRACE_A, TRACE_B].sort());
    assert.deepEqual(await ids(`query.service_name=frontend&query.start_time_min=${iso(T0 + 1800n * 1000n * MS)}`), [TRACE_B]);
    assert.deepEqual(await ids('query.service_name=frontend&query.operation_name=GET%20%2Fhealth'), [TRACE_B]);
    assert.deepEqual(await ids('query.service_name=frontend&query.duration_min=50ms'), [TRACE_A]);
    assert.deepEqual(await ids('query.service_name=backend&query.attributes=%7B%22db.system%22%3A%22mysql%22%7D'), [TRACE_A]);
    assert.deepEqual(await ids(`query.service_name=worker%20queue&query.start_time_min=${iso(T0 - 100n * 3600n * 1000n * MS)}`), [TRACE_C]);
    assert.deepEqual(await ids('query.service_name=nobody'), []);
    assert.equal((await get('/api/v3/traces', 400)).error.httpCode, 400);
    assert.equal((await get('/api/v3/traces?query.service_name=x&query.start_time_min=soon', 400)).error.httpCode, 400);
  });

  test('trace summaries', async () => {
    const j = await get('/api/v3/trace-summaries?query.service_name=backend');
    assert.deepEqual(j.result, [
      {
        traceID: TRACE_A,
        rootService: 'frontend',
        rootOperation: 'GET /dispatch',
        rootSpanID: 'a000000000000001',
        hasRoot: true,
        startTime: '2023-11-14T22:13:20Z',
        endTime: '2023-11-14T22:13:20.100Z',
        startTimeUnixNano: T0.toString(),
        endTimeUnixNano: (T0 + 100n * MS).toString(),
        durationNano: '100000000',
        spanCount: 4,
        errorCount: 1,
        orphanCount: 0,
        services: [
          { name: 'backend', spanCount: 2, errorCount: 1 },
          { name: 'frontend', spanCount: 2, errorCount: 0 },
        ],
      },
    ]);
    const d = (await get('/api/v3/trace-summaries?query.service_name=lonely')).result[0];
    assert.equal(d.rootOperation, 'root');
    assert.equal(d.orphanCount, 1);
    assert.equal(d.errorCount, 1);
    assert.equal(d.durationNano, (30n * MS).toString());
  });
});

describe('POST /api/transform', () => {
  test('OTLP JSON → Jaeger traces in the envelope', async () => {
    const r = await post('/api/transform', JSON.stringify(encodeOtlpJson(sampleSpans())));
    assert.equal(r.status, 200);
    assert.equal(r.json.errors, null);
    const byId = new Map(r.json.data.map((t: any) => [t.traceID, t]));
    assert.deepEqual([...byId.keys()].sort(), [TRACE_A, '2165cd8171cef678', TRACE_C].sort());
    const a: any = byId.get(TRACE_A);
    assert.equal(a.spans.length, 4);
    const sql = a.spans.find((s: any) => s.operationName === 'SQL SELECT');
    assert.equal(sql.startTime, Number((T0 + 20n * MS) / 1000n));
    assert.equal(sql.duration, 30_000);
    assert.equal(a.processes[sql.processID].serviceName, 'backend');
    assert.deepEqual(sql.references, [{ refType: 'CHILD_OF', traceID: TRACE_A, spanID: 'a000000000000003' }]);
  });
  test('bad body → 400; GET → 405; POST elsewhere → 405', async () => {
    const bad = await post('/api/transform', '{"resourceSpans": 7}');
    assert.equal(bad.status, 400);
    assert.match(bad.json.errors[0].msg, /OTLP JSON/);
    const g = await post('/api/transform', '', 'GET');
    assert.equal(g.status, 405);
    assert.equal(g.headers.allow, 'POST');
    const r = await post('/api/services', '{}');
    assert.equal(r.status, 405);
    assert.equal(r.headers.allow, 'GET, HEAD');
  });
});
